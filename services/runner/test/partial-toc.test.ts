// The table of contents a partial restore reads straight from the archive (toc.ts) against
// `pg_restore -l` of the same real dumps: the same entries, ids, kinds and dependencies, and names
// exactly as PostgreSQL has them even where -l's one-line output cannot be split back (spaces,
// dots, quotes, newlines). A cut-off archive is refused, never half-read.
import { createReadStream } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isAppError } from '@devpilot/contracts'
import { createEmptyDatabase, pgDump, psql, scratchDir } from '@devpilot/devenv/testing'
import { execa } from 'execa'
import t from 'tap'
import { findPgTools } from '../src/pg-tools.js'
import { readTableOfContents } from '../src/restore/partial/toc.js'

const db = await createEmptyDatabase(t, { prefix: 'toc' })
await psql(
  db.url,
  `CREATE SCHEMA "a b"; CREATE TABLE "a b"."c d" (id serial PRIMARY KEY);
   CREATE SCHEMA "a"; CREATE TABLE "a"."b c d" (id int);
   CREATE TABLE public."new
line" (id int); CREATE TABLE public."q""uote.d" (id int REFERENCES "a b"."c d"(id));
   COMMENT ON TABLE "a b"."c d" IS 'x';`,
)
const dir = scratchDir(t, 'toc')
const pgRestore = findPgTools(undefined).pgRestore

for (const format of ['pg_custom', 'pg_tar'] as const) {
  t.test(`${format}: the entries, ids, kinds and dependencies pg_restore -l -v prints, with exact names`, async (t) => {
    const file = join(dir, `db.${format}`)
    await pgDump(db.url, format, file)
    const toc = await readTableOfContents(createReadStream(file), format)
    const listed = (await execa(pgRestore, ['-l', '-v', file])).stdout.split('\n')
    const lines = listed.filter((l) => /^\d+;/.test(l))
    t.same(
      toc.entries.map((e) => e.id),
      lines.map((l) => Number(l.split(';')[0])),
      'the same entries in the same order',
    )
    for (const [i, entry] of toc.entries.entries()) {
      t.ok(lines[i]?.includes(` ${entry.desc} `), `entry ${entry.id} is a ${entry.desc}`)
      const depsLine = listed[listed.indexOf(lines[i] ?? '') + 1] ?? ''
      const deps = depsLine.startsWith(';\tdepends on:') ? depsLine.replace(';\tdepends on:', '').trim().split(/\s+/).map(Number) : []
      t.same(entry.deps, deps, `entry ${entry.id}'s dependencies`)
    }
    const tables = toc.entries.filter((e) => e.desc === 'TABLE').map((e) => [e.namespace, e.tag])
    t.same(
      tables.sort(),
      [
        ['a', 'b c d'],
        ['a b', 'c d'],
        ['public', 'new\nline'],
        ['public', 'q"uote.d'],
      ].sort(),
      'names exactly as in the catalog',
    )
  })
}

t.test('an archive cut inside its table of contents is refused with restore_tool_failed', async (t) => {
  const file = join(dir, 'db.pg_custom')
  const cut = join(dir, 'cut.pg_custom')
  await writeFile(cut, (await readFile(file)).subarray(0, 200))
  const error = await readTableOfContents(createReadStream(cut), 'pg_custom').catch((e: unknown) => e)
  t.ok(isAppError(error) && error.code === 'restore_tool_failed', 'refused')
  t.match(String((error as Error).message), /ended inside its table of contents/)
  const notDump = join(dir, 'not-a-dump')
  await writeFile(notDump, 'SELECT 1;\n'.repeat(100))
  const error2 = await readTableOfContents(createReadStream(notDump), 'pg_custom').catch((e: unknown) => e)
  t.match(String((error2 as Error).message), /does not start like a pg_dump archive/)
})
