// A runner process killed with SIGKILL mid-restore, then a new runner: within the configured bound
// the restore is retried from scratch (attempts left) or failed with runner_lost (none left), the
// target is intact, and the dead attempt's staging database is dropped. SIGTERM: no new work, and
// a restore still running after the grace period fails with runner_shutdown, target unchanged.
// The restore is made slow for real (slow-restore.ts): its artifact waits while a gate database exists.
import { dropDatabase, fingerprint, spawnService, testEnv, uniqueName, waitFor } from '@devpilot/devenv/testing'
import t from 'tap'
import { createHarness } from './harness.js'
import { slowRestoreKit } from './slow-restore.js'

const env = testEnv()
const LOST_AFTER = 3
const h = await createHarness(t)
const server1 = await h.server(env.DEVPILOT_TEST_PG_URL)
const destination = await h.localDestination()

const { expected, slowBackup, victim, stagingDatabases, gate } = await slowRestoreKit(t, h, server1, destination)

t.test('SIGKILL mid-restore with attempts left: a new runner retries it from scratch and the target ends equal to the backup', async (t) => {
  const target = await victim(t)
  const gateName = await gate(t)
  const { planId, backupId } = await slowBackup(gateName)
  const envA = h.runnerEnv({ RUNNER_ID: 'runner-a', RUNNER_LOST_AFTER_SECONDS: String(LOST_AFTER), RUNNER_MAX_ATTEMPTS: '2' })
  const a = spawnService('runner', envA)
  t.teardown(() => a.child.kill('SIGKILL'))
  await a.ready()
  const id = await h.restore({ backupId, planId, targetServerId: server1, targetDatabase: target.name, overwrite: true })
  await waitFor(
    () => stagingDatabases(id),
    (dbs) => dbs.length === 1,
    { what: 'runner A to be restoring into staging' },
  )
  t.equal((await h.row(id)).runner_id, 'runner-a')

  a.child.kill('SIGKILL')
  await a.child
  const killedAt = Date.now()
  t.same(await fingerprint(target.url), target.before, 'the target is intact right after the kill')
  await dropDatabase(env.DEVPILOT_TEST_PG_URL, gateName) // the retry should not sleep

  const b = spawnService('runner', h.runnerEnv({ RUNNER_ID: 'runner-b', RUNNER_LOST_AFTER_SECONDS: String(LOST_AFTER), RUNNER_MAX_ATTEMPTS: '2' }))
  t.teardown(() => b.child.kill('SIGKILL'))
  await b.ready()
  const row = await h.waitTerminal(id, 30_000)
  const tookMs = Date.now() - killedAt
  t.equal(row.status, 'completed', row.status === 'completed' ? 'completed' : `${row.error_code} ${row.error_message}\n${b.output().slice(-2000)}`)
  t.equal(row.attempt, 2, 'the second attempt ran it')
  t.equal(row.runner_id, 'runner-b')
  t.ok(tookMs < (LOST_AFTER + 15) * 1000, `terminal ${tookMs} ms after the kill, within the bound`)
  t.same(await fingerprint(target.url), expected, 'the target equals the backup')
  t.same(await stagingDatabases(id), [], "the dead attempt's staging database was dropped")
  b.child.kill('SIGTERM')
  t.equal((await b.child).exitCode, 0, 'runner B stops cleanly on SIGTERM')
})

t.test('SIGKILL mid-restore on the last attempt: the restore fails with runner_lost within the bound and the target is intact', async (t) => {
  const target = await victim(t)
  const gateName = await gate(t)
  const { planId, backupId } = await slowBackup(gateName)
  const a = spawnService('runner', h.runnerEnv({ RUNNER_ID: 'runner-c', RUNNER_LOST_AFTER_SECONDS: String(LOST_AFTER), RUNNER_MAX_ATTEMPTS: '1' }))
  t.teardown(() => a.child.kill('SIGKILL'))
  await a.ready()
  const id = await h.restore({ backupId, planId, targetServerId: server1, targetDatabase: target.name, overwrite: true })
  await waitFor(
    () => stagingDatabases(id),
    (dbs) => dbs.length === 1,
    { what: 'runner C to be restoring into staging' },
  )
  a.child.kill('SIGKILL')
  await a.child
  const killedAt = Date.now()

  const b = spawnService('runner', h.runnerEnv({ RUNNER_ID: 'runner-d', RUNNER_LOST_AFTER_SECONDS: String(LOST_AFTER), RUNNER_MAX_ATTEMPTS: '1' }))
  t.teardown(() => b.child.kill('SIGKILL'))
  await b.ready()
  const row = await h.waitTerminal(id, 30_000)
  const tookMs = Date.now() - killedAt
  t.equal(row.error_code, 'runner_lost')
  t.match(row.error_message, /runner-c/)
  t.ok(tookMs < (LOST_AFTER + 10) * 1000, `terminal ${tookMs} ms after the kill, within the bound`)
  t.same(await fingerprint(target.url), target.before, 'the target is unchanged')
  await waitFor(
    () => stagingDatabases(id),
    (dbs) => dbs.length === 0,
    { what: 'the staging database to be dropped', timeoutMs: 10_000 },
  )
  b.child.kill('SIGTERM')
  await b.child
})

t.test('SIGTERM: a restore still running after the grace period fails with runner_shutdown and the target is unchanged', async (t) => {
  const target = await victim(t)
  const gateName = await gate(t)
  const { planId, backupId } = await slowBackup(gateName)
  const a = spawnService('runner', h.runnerEnv({ RUNNER_ID: 'runner-e', SHUTDOWN_GRACE_SECONDS: '1' }))
  t.teardown(() => a.child.kill('SIGKILL'))
  await a.ready()
  const id = await h.restore({ backupId, planId, targetServerId: server1, targetDatabase: target.name, overwrite: true })
  await waitFor(
    () => stagingDatabases(id),
    (dbs) => dbs.length === 1,
    { what: 'the runner to be restoring into staging' },
  )
  a.child.kill('SIGTERM')
  const exit = await a.child
  t.equal(exit.exitCode, 0, 'the runner exits cleanly')
  const row = await h.row(id)
  t.equal(row.error_code, 'runner_shutdown')
  t.same(await fingerprint(target.url), target.before, 'the target is unchanged')
  t.same(await stagingDatabases(id), [], 'the staging database was dropped')
})

t.test('SIGTERM: a restore that finishes within the grace period completes, and no new work is taken', async (t) => {
  const target = await victim(t)
  const gateName = await gate(t)
  const { planId, backupId } = await slowBackup(gateName)
  const a = spawnService('runner', h.runnerEnv({ RUNNER_ID: 'runner-f', SHUTDOWN_GRACE_SECONDS: '30' }))
  t.teardown(() => a.child.kill('SIGKILL'))
  await a.ready()
  const id = await h.restore({ backupId, planId, targetServerId: server1, targetDatabase: target.name, overwrite: true })
  await waitFor(
    () => stagingDatabases(id),
    (dbs) => dbs.length === 1,
    { what: 'the runner to be restoring into staging' },
  )
  a.child.kill('SIGTERM')
  await waitFor(
    () => a.output(),
    (o) => o.includes('stopping: no new restores'),
    { what: 'the runner to begin stopping' },
  )
  const later = await h.restore({ backupId, planId, targetServerId: server1, targetDatabase: uniqueName('never') })
  await dropDatabase(env.DEVPILOT_TEST_PG_URL, gateName) // lets the in-flight restore finish
  const exit = await a.child
  t.equal(exit.exitCode, 0)
  t.equal((await h.row(id)).status, 'completed', 'the in-flight restore finished')
  t.same(await fingerprint(target.url), expected)
  t.equal((await h.row(later)).status, 'pending', 'a restore queued during shutdown waits for another runner')
})
