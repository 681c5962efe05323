// Plain-SQL artifacts are run by psql, which executes backslash meta-commands on the runner. The
// guard passes real pg_dump output through unchanged (backslashes inside strings, E'' strings,
// dollar quotes and COPY data are data) and refuses any meta-command, wherever it hides, before
// psql sees it; a dump that would drop or create databases fails inside its single transaction.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { text } from 'node:stream/consumers'
import {
  adminQuery,
  createEmptyDatabase,
  databaseUrl,
  dropDatabase,
  pgDump,
  psql,
  scratchDir,
  type Teardown,
  testEnv,
  uniqueName,
} from '@devpilot/devenv/testing'
import t from 'tap'
import { PlainSqlGuard } from '../src/restore/plain-sql-guard.js'
import { createHarness } from './harness.js'

const env = testEnv()
const h = await createHarness(t)
await h.startRunner()
const serverId = await h.server(env.DEVPILOT_TEST_PG_URL)
const destination = await h.localDestination()

async function guard(script: string): Promise<string> {
  return text(Readable.from([Buffer.from(script)]).pipe(new PlainSqlGuard()))
}

t.test('real pg_dump output with backslashes in strings, E-strings, dollar quotes and COPY data passes unchanged', async (t) => {
  const name = uniqueName('guard_src')
  await adminQuery(env.DEVPILOT_TEST_PG_URL, `CREATE DATABASE "${name}"`)
  t.teardown(() => dropDatabase(env.DEVPILOT_TEST_PG_URL, name))
  const url = databaseUrl(env.DEVPILOT_TEST_PG_URL, name)
  await psql(
    url,
    String.raw`CREATE TABLE "we""ird\name" (id int PRIMARY KEY, v text DEFAULT E'tab\there \\! not a command', j jsonb);
     INSERT INTO "we""ird\name" VALUES (1, '\! echo pwned', '{"a": "\\n"}'), (2, E'line1\nline2\\', NULL), (3, '\.', '[]');
     CREATE FUNCTION f() RETURNS text LANGUAGE plpgsql AS $body$ BEGIN RETURN '\! still data' || $$\o /tmp/x$$; END $body$;
     COMMENT ON TABLE "we""ird\name" IS 'it''s \! fine';`,
  )
  const dir = scratchDir(t, 'guard')
  for (const extra of [[], ['--inserts']]) {
    const file = join(dir, `dump${extra.length}.sql`)
    await pgDump(url, 'pg_plain', file, extra)
    const original = readFileSync(file, 'utf8')
    t.ok(original.includes('\\!'), 'the dump really contains backslash-bang sequences inside data')
    const withoutRestrict = original.replace(/^\\(un)?restrict \S+\n/gm, '')
    t.equal(await guard(original), withoutRestrict, `output identical but for the \\restrict lines (${extra.join(' ') || 'COPY'} format)`)
  }
})

t.test('meta-commands are refused wherever they hide', async (t) => {
  const cases = {
    'at the start of a line': 'SELECT 1;\n\\! touch /tmp/pwned\n',
    'after SQL on the same line': "SELECT 'x'; \\! touch /tmp/pwned\n",
    'after a comment ends the line': '-- Name: evil\n\\o /tmp/out\n',
    'after a closed string': "INSERT INTO t VALUES ('a''b'); \\connect other\n",
    'after a dollar-quoted body': "DO $$ BEGIN END $$; \\copy t from program 'id'\n",
    'after a block comment': '/* a /* nested */ comment */ \\! id\n',
    'as COPY … PROGRAM': "COPY t FROM PROGRAM 'id';\n",
  }
  for (const [where, script] of Object.entries(cases)) {
    await t.rejects(guard(script), { code: 'archive_unsafe' }, where)
  }
})

t.test("pg_dump 17.6's \\restrict lines are dropped, everything else kept", async (t) => {
  t.equal(await guard('\\restrict abc123\nSELECT 1;\n\\unrestrict abc123\n'), 'SELECT 1;\n')
})

async function victim(t: Teardown) {
  const { name, url } = await createEmptyDatabase(t, { prefix: 'guard_victim' })
  await psql(url, `CREATE TABLE precious (id int PRIMARY KEY); INSERT INTO precious SELECT generate_series(1, 25);`)
  return { name, url }
}

t.test('a hostile plain artifact is refused with archive_unsafe: nothing runs on the runner and the target is unchanged', async (t) => {
  const marker = join(scratchDir(t, 'pwn'), 'pwned')
  const key = `${uniqueName('evil')}.sql`
  writeFileSync(join(destination.path, key), `CREATE TABLE innocent (id int);\nSELECT 1; \\! touch ${marker}\n`)
  const planId = await h.databasePlan({ sourceServerId: serverId, sourceDatabase: 'evil', destinationId: destination.id })
  const backupId = await h.backup({ planId, format: 'pg_plain', artifactKey: key, file: join(destination.path, key) })
  const target = await victim(t)
  const row = await h.waitTerminal(await h.restore({ backupId, planId, targetServerId: serverId, targetDatabase: target.name, overwrite: true }))
  t.equal(row.status, 'failed')
  t.equal(row.error_code, 'archive_unsafe')
  t.match(row.error_message, /line 2/)
  t.notOk(existsSync(marker), 'the shell command never ran')
  t.equal(await psql(target.url, 'SELECT count(*) FROM precious'), '25')
})

t.test('a plain dump made with --clean --create cannot drop the live database it is restored over', async (t) => {
  const target = await victim(t)
  const key = `${target.name}.create.sql`
  await pgDump(target.url, 'pg_plain', join(destination.path, key), ['--clean', '--create'])
  await psql(target.url, 'INSERT INTO precious VALUES (1000)')
  const planId = await h.databasePlan({ sourceServerId: serverId, sourceDatabase: target.name, destinationId: destination.id })
  const backupId = await h.backup({ planId, format: 'pg_plain', artifactKey: key, file: join(destination.path, key) })
  const row = await h.waitTerminal(await h.restore({ backupId, planId, targetServerId: serverId, targetDatabase: target.name, overwrite: true }))
  t.equal(row.status, 'failed')
  // Two defences, whichever stops it first: the guard refuses the script's \connect (archive_unsafe),
  // and psql's single transaction refuses its DROP DATABASE (restore_tool_failed).
  t.match(row.error_code, /^(archive_unsafe|restore_tool_failed)$/)
  t.equal(await psql(target.url, 'SELECT count(*) FROM precious'), '26', 'the live database and the row added after the dump are still there')
})

t.test('a plain script that drops the target database by name fails inside its single transaction; the target is intact', async (t) => {
  const target = await victim(t)
  const key = `${uniqueName('dropper')}.sql`
  writeFileSync(join(destination.path, key), `CREATE TABLE x (id int);\nDROP DATABASE "${target.name}" WITH (FORCE);\n`)
  const planId = await h.databasePlan({ sourceServerId: serverId, sourceDatabase: 'dropper', destinationId: destination.id })
  const backupId = await h.backup({ planId, format: 'pg_plain', artifactKey: key, file: join(destination.path, key) })
  const row = await h.waitTerminal(await h.restore({ backupId, planId, targetServerId: serverId, targetDatabase: uniqueName('elsewhere') }))
  t.equal(row.error_code, 'restore_tool_failed')
  t.match(row.error_message, /cannot run inside a transaction block/)
  t.equal(await psql(target.url, 'SELECT count(*) FROM precious'), '25')
})
