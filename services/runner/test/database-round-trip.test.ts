// Round trips of every database format through the real runner: pg_dump of a rich source, then
// restores (a) over the changed original with overwrite, (b) to a new database name, (c) to the
// second cluster. Each restored database must equal the source table by table, row by row, with
// the same sequence values and object definitions; owners and grants survive only on the plan's
// own server.
import { join } from 'node:path'
import { DATABASE_BACKUP_FORMATS } from '@devpilot/contracts'
import {
  createFixtureDatabase,
  createFixtureRoles,
  databaseUrl,
  dropDatabase,
  fingerprint,
  pgDump,
  psql,
  tableAcl,
  tableOwner,
  testEnv,
  uniqueName,
} from '@devpilot/devenv/testing'
import t from 'tap'
import { createHarness } from './harness.js'

const env = testEnv()
const h = await createHarness(t)
await h.startRunner()
const roles = await createFixtureRoles(env.DEVPILOT_TEST_PG_URL)
const server1 = await h.server(env.DEVPILOT_TEST_PG_URL)
const server2 = await h.server(env.DEVPILOT_TEST_PG2_URL)
const destination = await h.localDestination()
const cluster2User = decodeURIComponent(new URL(env.DEVPILOT_TEST_PG2_URL).username)

for (const format of DATABASE_BACKUP_FORMATS) {
  t.test(`${format}: restores over the changed original, to a new name and to another server, each equal to the source`, async (t) => {
    const source = await createFixtureDatabase(env.DEVPILOT_TEST_PG_URL, roles)
    const newName = uniqueName('copy')
    t.teardown(async () => {
      await dropDatabase(env.DEVPILOT_TEST_PG_URL, source.name)
      await dropDatabase(env.DEVPILOT_TEST_PG_URL, newName)
      await dropDatabase(env.DEVPILOT_TEST_PG2_URL, source.name)
    })
    const key = `${source.name}.${format}`
    await pgDump(source.url, format, join(destination.path, key))
    const expected = await fingerprint(source.url)
    t.ok(Object.keys(expected.tables).length >= 3 && expected.sequences['public.counter_seq'] === '4242:true', 'the fixture is what the test expects')

    // Change the original after the backup: rows, a sequence, a dropped view, an extra table.
    await psql(
      source.url,
      `DELETE FROM app2.orders WHERE id < 50; UPDATE public.items SET name = name || '!'; SELECT setval('public.counter_seq', 7);
       DROP VIEW app2.order_totals; CREATE TABLE public.not_in_backup (x int); INSERT INTO public.not_in_backup VALUES (1);`,
    )
    t.not(JSON.stringify(await fingerprint(source.url)), JSON.stringify(expected), 'the original really changed')

    const planId = await h.databasePlan({ sourceServerId: server1, sourceDatabase: source.name, destinationId: destination.id })
    const backupId = await h.backup({ planId, format, artifactKey: key, file: join(destination.path, key) })
    const [overOriginal, toNewName, toOtherServer] = await Promise.all([
      h.restore({ backupId, planId, targetServerId: server1, targetDatabase: source.name, overwrite: true }),
      h.restore({ backupId, planId, targetServerId: server1, targetDatabase: newName }),
      h.restore({ backupId, planId, targetServerId: server2, targetDatabase: source.name }),
    ])
    for (const [label, id] of [
      ['over the original', overOriginal],
      ['to a new name', toNewName],
      ['to another server', toOtherServer],
    ] as const) {
      const row = await h.waitTerminal(id)
      t.equal(row.status, 'completed', `${label}: completed (${row.error_code ?? ''} ${row.error_message ?? ''})`)
      t.ok(Number(row.bytes_done) > 0 && row.bytes_done === row.bytes_total, `${label}: progress reached the artifact size`)
    }

    t.same(await fingerprint(source.url), expected, 'the original equals the backup again; objects not in it are gone')
    t.same(await fingerprint(databaseUrl(env.DEVPILOT_TEST_PG_URL, newName)), expected, 'the new database equals the source')
    t.same(await fingerprint(databaseUrl(env.DEVPILOT_TEST_PG2_URL, source.name)), expected, 'the copy on the other server equals the source')

    t.equal(await tableOwner(databaseUrl(env.DEVPILOT_TEST_PG_URL, newName), 'public.owned'), roles.owner, "owners are kept on the plan's own server")
    t.match(await tableAcl(databaseUrl(env.DEVPILOT_TEST_PG_URL, newName), 'public.items'), roles.reader, "grants are kept on the plan's own server")
    t.equal(await tableOwner(databaseUrl(env.DEVPILOT_TEST_PG2_URL, source.name), 'public.owned'), cluster2User, 'owners are dropped on another server')
    t.equal(await tableAcl(databaseUrl(env.DEVPILOT_TEST_PG2_URL, source.name), 'public.items'), null, 'grants are dropped on another server')
  })
}
