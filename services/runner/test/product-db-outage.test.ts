// The product database goes away under a running restore (a restart, a failover): every connection
// the runner holds is killed and new ones are refused for a few seconds. The runner process must
// ride it out (it exited with an uncaught TypeError from postgres.js before, issue 16), and once the
// database is back the restore must end truthfully: completed with the target equal to the backup,
// or failed with a named code and the target unchanged. The outage is real: the product database
// refuses connections (ALLOW_CONNECTIONS false) and its backends are terminated.
import { adminQuery, dropDatabase, fingerprint, spawnService, testEnv, waitFor } from '@devpilot/devenv/testing'
import t from 'tap'
import { createHarness } from './harness.js'
import { slowRestoreKit } from './slow-restore.js'

const env = testEnv()
const h = await createHarness(t)
const server1 = await h.server(env.DEVPILOT_TEST_PG_URL)
const destination = await h.localDestination()
const { expected, slowBackup, victim, stagingDatabases, gate } = await slowRestoreKit(t, h, server1, destination)

async function outage(seconds: number, during: () => Promise<void>): Promise<void> {
  const cluster = env.DEVPILOT_TEST_PG_URL
  await adminQuery(cluster, `ALTER DATABASE "${h.db.name}" ALLOW_CONNECTIONS false`)
  try {
    await adminQuery(cluster, 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [h.db.name])
    await during()
    // The outage itself lasts a fixed time: that is the fault being injected, not a wait for a result.
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
  } finally {
    await adminQuery(cluster, `ALTER DATABASE "${h.db.name}" ALLOW_CONNECTIONS true`)
  }
}

t.test('a product-database outage mid-restore: the runner survives and the restore ends truthfully', async (t) => {
  const target = await victim(t)
  const gateName = await gate(t)
  const { planId, backupId } = await slowBackup(gateName)
  const runner = spawnService('runner', h.runnerEnv({ RUNNER_ID: 'runner-outage', RUNNER_LOST_AFTER_SECONDS: '3', RUNNER_MAX_ATTEMPTS: '2' }))
  t.teardown(() => runner.child.kill('SIGKILL'))
  await runner.ready()
  const id = await h.restore({ backupId, planId, targetServerId: server1, targetDatabase: target.name, overwrite: true })
  await waitFor(
    () => stagingDatabases(id),
    (dbs) => dbs.length === 1,
    { what: 'the runner to be restoring into staging' },
  )
  // The restore reaches its swap while the product database is down.
  await outage(4, () => dropDatabase(env.DEVPILOT_TEST_PG_URL, gateName))
  t.equal(runner.child.exitCode, null, 'the runner process is still running after the outage')

  const row = await h.waitTerminal(id, 60_000)
  if (row.status === 'completed') t.same(await fingerprint(target.url), expected, 'completed, and the target equals the backup')
  else {
    t.not(row.error_code, 'internal_error', `failed with a named code: ${row.error_code} ${row.error_message}`)
    t.same(await fingerprint(target.url), target.before, 'failed, and the target is unchanged')
  }
  await waitFor(
    () => stagingDatabases(id),
    (dbs) => dbs.length === 0,
    { what: 'no staging database to be left behind', timeoutMs: 20_000 },
  )

  const after = await h.restore({ backupId, planId, targetServerId: server1, targetDatabase: `${target.name}_after` })
  t.teardown(() => dropDatabase(env.DEVPILOT_TEST_PG_URL, `${target.name}_after`))
  const next = await h.waitTerminal(after, 30_000)
  t.equal(next.status, 'completed', `the same runner restores again after the outage ${next.error_code ?? ''} ${next.error_message ?? ''}`)
  t.equal(next.runner_id, 'runner-outage')
  t.equal(runner.child.exitCode, null, 'the runner process is still running')
  // SIGTERM with a generous grace: after an outage pg-boss may take its own stop timeout (5 s).
  const stopped = await runner.stop(30_000)
  t.equal(stopped.exitCode, 0, `and it stops cleanly on SIGTERM${stopped.killed ? ' (it had to be killed)' : ''}`)
})
