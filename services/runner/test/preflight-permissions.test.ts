import { adminQuery, createEmptyDatabase, databaseUrl, fingerprint, psql, testEnv, uniqueName } from '@devpilot/devenv/testing'
import postgres from 'postgres'
import t from 'tap'
import { createHarness } from './harness.js'
import { checkNamed, customDumpOf, databaseExists, databaseOids, trustRecord } from './trust-kit.js'

const env = testEnv()
const h = await createHarness(t)
await h.startRunner()
const server1 = await h.server(env.DEVPILOT_TEST_PG_URL)
const destination = await h.localDestination()
const at = { serverId: server1, destination }

t.test('permissions: a server user without CREATEDB fails naming it; with CREATEDB it restores; not owning an existing target fails', async (t) => {
  const { planId, backupId } = await customDumpOf(t, h, at, '')
  const user = uniqueName('pf_nocreatedb')
  await adminQuery(env.DEVPILOT_TEST_PG_URL, `CREATE ROLE ${user} LOGIN PASSWORD 'pf-secret' NOCREATEDB`)
  t.teardown(async () => {
    await adminQuery(env.DEVPILOT_TEST_PG_URL, `DROP DATABASE IF EXISTS ${user}_db WITH (FORCE)`)
    await adminQuery(env.DEVPILOT_TEST_PG_URL, `DROP ROLE IF EXISTS ${user}`)
  })
  const url = new URL(env.DEVPILOT_TEST_PG_URL)
  url.username = user
  url.password = 'pf-secret'
  const weak = await h.server(url.toString())

  const denied = await h.waitTerminal(await h.restore({ backupId, planId, targetServerId: weak, targetDatabase: `${user}_db` }))
  t.equal(denied.error_code, 'preflight_failed')
  t.match(denied.error_message, /permissions:.*CREATEDB/)
  t.notOk(await databaseExists(`${user}_db`), 'nothing was created')

  await adminQuery(env.DEVPILOT_TEST_PG_URL, `ALTER ROLE ${user} CREATEDB`)
  const allowed = await h.waitTerminal(await h.restore({ backupId, planId, targetServerId: weak, targetDatabase: `${user}_db` }))
  t.equal(allowed.status, 'completed', allowed.error_message ?? '')
  t.equal(checkNamed((await trustRecord(h, allowed.id)).checks, 'permissions')?.status, 'passed')

  // A target owned by another role cannot be renamed away by this user.
  const foreign = await createEmptyDatabase(t, { prefix: 'pfforeign' })
  await psql(foreign.url, 'CREATE TABLE precious (id int); INSERT INTO precious VALUES (1), (2);')
  const before = { content: await fingerprint(foreign.url), oids: await databaseOids(foreign.url, foreign.name) }
  const notOwner = await h.waitTerminal(await h.restore({ backupId, planId, targetServerId: weak, targetDatabase: foreign.name, overwrite: true }))
  t.equal(notOwner.error_code, 'preflight_failed')
  t.match(notOwner.error_message, /does not own the target database/)
  t.same({ content: await fingerprint(foreign.url), oids: await databaseOids(foreign.url, foreign.name) }, before, 'the target is unchanged by oid and content')
})

t.test('sessions: open sessions on the target are a warning with their count; every check is stored in order', async (t) => {
  const { planId, backupId, source } = await customDumpOf(t, h, at, '')
  const target = await createEmptyDatabase(t, { prefix: 'pfsessions' })
  const session = postgres(target.url, { max: 1, onnotice: () => {} })
  await session`SELECT 1`
  t.teardown(() => session.end({ timeout: 1 }).catch(() => {}))
  const row = await h.waitTerminal(await h.restore({ backupId, planId, targetServerId: server1, targetDatabase: target.name, overwrite: true }))
  t.equal(row.status, 'completed', row.error_message ?? '')
  const { checks, preview } = await trustRecord(h, row.id)
  t.same(
    checks.map((c) => c.name),
    ['artifact_readable', 'target_reachable', 'dump_version', 'target_state', 'roles', 'extensions', 'permissions', 'sessions', 'staging_space'],
  )
  t.match(checkNamed(checks, 'sessions'), { status: 'warning', message: /^1 open session on / })
  t.match(checkNamed(checks, 'staging_space'), { status: 'warning', message: /bytes/ })
  t.match(checkNamed(checks, 'dump_version'), { status: 'passed', message: /Dumped from PostgreSQL 1\d/ })
  t.equal(preview, null, 'a real restore has no preview')
  t.same(await fingerprint(target.url), await fingerprint(databaseUrl(env.DEVPILOT_TEST_PG_URL, source.name)), 'and it restored')
})

t.test('a missing artifact fails its check with artifact_missing before the target is touched', async (t) => {
  const { planId } = await customDumpOf(t, h, at, '')
  const backupId = await h.backup({ planId, format: 'pg_custom', artifactKey: 'nowhere.dump', sha256: null })
  const target = await createEmptyDatabase(t, { prefix: 'pfmissing' })
  const row = await h.waitTerminal(await h.restore({ backupId, planId, targetServerId: server1, targetDatabase: target.name, overwrite: true }))
  t.equal(row.error_code, 'artifact_missing')
  t.match(checkNamed((await trustRecord(h, row.id)).checks, 'artifact_readable'), { status: 'failed', message: /does not exist/ })
})
