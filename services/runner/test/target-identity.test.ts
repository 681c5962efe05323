// One active restore per physical target, whatever names the records use: two server rows for one
// PostgreSQL cluster (127.0.0.1 and localhost) restoring the same database never run at once. The
// lock is keyed by the cluster's system identifier and port, not by the host name. The first
// restore is held mid-flight by a gate (slow-restore.ts); the second must stay pending, its job
// deferred, until the first is done, then run.
import { dropDatabase, fingerprint, testEnv, waitFor } from '@devpilot/devenv/testing'
import t from 'tap'
import { createHarness } from './harness.js'
import { slowRestoreKit } from './slow-restore.js'

const env = testEnv()
const h = await createHarness(t)
const byAddress = await h.server(env.DEVPILOT_TEST_PG_URL, { name: 'by address' })
const localhostUrl = new URL(env.DEVPILOT_TEST_PG_URL)
localhostUrl.hostname = 'localhost'
const byName = await h.server(localhostUrl.toString(), { name: 'by name' })
const destination = await h.localDestination()
const { expected, slowBackup, victim, stagingDatabases, gate } = await slowRestoreKit(t, h, byAddress, destination)

t.test('two server records for one cluster never restore the same database at once', async (t) => {
  await h.startRunner({ RUNNER_CONCURRENCY: '4', RUNNER_TARGET_BUSY_RETRY_SECONDS: '0.5' })
  const target = await victim(t)
  const gateName = await gate(t)
  const { planId, backupId } = await slowBackup(gateName)
  const first = await h.restore({ backupId, planId, targetServerId: byAddress, targetDatabase: target.name, overwrite: true })
  await waitFor(
    () => stagingDatabases(first),
    (dbs) => dbs.length === 1,
    { what: 'the first restore to be restoring into staging' },
  )
  const second = await h.restore({ backupId, planId, targetServerId: byName, targetDatabase: target.name, overwrite: true })
  // A runner has looked at the second restore and deferred it (its job was sent again) at least twice.
  await waitFor(
    async () => {
      const [row] = await h.db.sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'restore' AND data->>'restoreId' = ${second}`
      return row?.n ?? 0
    },
    (n) => n >= 3,
    { what: 'a runner to defer the second restore' },
  )
  t.equal((await h.row(second)).status, 'pending', 'the second restore waits while the first holds the database')
  await dropDatabase(env.DEVPILOT_TEST_PG_URL, gateName)
  const rows = [await h.waitTerminal(first), await h.waitTerminal(second)]
  t.same(
    rows.map((r) => r.status),
    ['completed', 'completed'],
  )
  const [order] = await h.db.sql<{ overlap: boolean }[]>`
    SELECT (SELECT started_at FROM restores WHERE id = ${second}) < (SELECT completed_at FROM restores WHERE id = ${first}) AS overlap`
  t.equal(order?.overlap, false, 'the second started after the first completed')
  t.same(await fingerprint(target.url), expected, 'the database equals the backup')
})
