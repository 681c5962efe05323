// Cancel with two real runner processes: the request is stored in the database (what the API's
// POST /v1/restores/{id}/cancel does) and whichever runner holds the restore notices it with its
// heartbeat, stops, drops its staging and records failed / cancelled, the target unchanged by oid
// and content. Here: still pending (its job does nothing when it arrives), mid-psql (held by a gate
// database the dump waits on), and already completed (left alone; the API answers 409).
import { createEmptyDatabase, dropDatabase, fingerprint, waitFor } from '@devpilot/devenv/testing'
import t from 'tap'
import { createCancelKit } from './cancel-kit.js'
import { databaseOids, trustRecord } from './trust-kit.js'

const { env, h, server1, kit, cancel, cancelAndWait } = await createCancelKit(t)

t.test('a pending restore is failed at once; its job does nothing when it arrives', async (t) => {
  const target = await kit.victim(t)
  const gate = await kit.gate(t)
  const slow = await kit.slowBackup(gate)
  // A real restore holds the target, so the second waits in pending and its job keeps coming back.
  const holder = await h.restore({ ...slow, targetServerId: server1, targetDatabase: target.name, overwrite: true })
  await waitFor(
    () => kit.stagingDatabases(holder),
    (dbs) => dbs.length === 1,
    { what: 'the first restore to hold the target' },
  )
  const waiting = await h.restore({ ...slow, targetServerId: server1, targetDatabase: target.name, overwrite: true })
  t.equal((await h.row(waiting)).status, 'pending')
  t.equal(await cancel(waiting), 'cancelled')
  const cancelled = await h.row(waiting)
  t.match(cancelled, { status: 'failed', error_code: 'cancelled', attempt: 0, runner_id: null })
  t.equal(await cancel(waiting), 'finished', 'a second cancel finds it finished (409 in the API)')
  await dropDatabase(env.DEVPILOT_TEST_PG_URL, gate)
  t.equal((await h.waitTerminal(holder)).status, 'completed')
  // The holder's end wakes the next restore for the target: that job finds the cancelled one terminal.
  await waitFor(
    async () =>
      (
        await h.db.sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'restore' AND data->>'restoreId' = ${waiting} AND state IN ('created', 'retry', 'active')`
      )[0]?.n ?? 0,
    (n) => n === 0,
    { what: 'every job of the cancelled restore to be handled' },
  )
  t.same(await h.row(waiting), cancelled, 'the job changed nothing')
  t.same(await kit.stagingDatabases(waiting), [])
})

t.test('mid-psql: the runner holding the restore stops, drops its staging database, and the target is unchanged', async (t) => {
  const target = await kit.victim(t)
  const before = await databaseOids(target.url, target.name)
  const gate = await kit.gate(t)
  const slow = await kit.slowBackup(gate)
  const id = await h.restore({ ...slow, targetServerId: server1, targetDatabase: target.name, overwrite: true })
  await waitFor(
    () => kit.stagingDatabases(id),
    (dbs) => dbs.length === 1,
    { what: 'psql to be restoring into staging' },
  )
  await cancelAndWait(t, id)
  t.same(await fingerprint(target.url), target.before, 'the target content is unchanged')
  t.same(await databaseOids(target.url, target.name), before, 'the target database and its tables are the same objects')
  t.same(await kit.stagingDatabases(id), [], 'no staging database is left')
})
t.test('a completed restore is finished: the cancel changes nothing', async (t) => {
  const target = await createEmptyDatabase(t, { prefix: 'cancel-done' })
  const gate = await kit.gate(t)
  await dropDatabase(env.DEVPILOT_TEST_PG_URL, gate)
  const slow = await kit.slowBackup(gate)
  const id = await h.restore({ ...slow, targetServerId: server1, targetDatabase: target.name, overwrite: true })
  const done = await h.waitTerminal(id)
  t.equal(done.status, 'completed', done.error_message ?? '')
  t.equal(await cancel(id), 'finished')
  t.same(await h.row(id), done)
  t.equal((await trustRecord(h, id)).cancel_requested_at, null)
  t.same(await fingerprint(target.url), kit.expected)
})
