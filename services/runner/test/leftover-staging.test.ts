// A staging database left on a target server that went down under its restore: the failing
// attempt cannot drop it, and no later attempt of a terminal restore comes, so before the sweep of
// target servers it stayed there forever. The target is a PostgreSQL cluster of the test's own,
// stopped (fast shutdown) while a gated restore sits in staging, then started again. The sweeper
// must drop the leftover once the server answers, and never touch a database an in_progress
// restore owns, nor one that only looks like ours (an unknown restore id, an attempt the restore
// never made).
import { adminQuery, createEmptyDatabase, databaseUrl, fingerprint, stoppableCluster, waitFor } from '@devpilot/devenv/testing'
import t from 'tap'
import { stagingDatabaseNames } from '../src/restore/pg-target.js'
import { createHarness } from './harness.js'
import { slowRestoreKit } from './slow-restore.js'

const h = await createHarness(t)
const target = await stoppableCluster(t)
const serverId = await h.server(target.url())
const destination = await h.localDestination()
const { expected, slowBackup, victim, stagingDatabases, gate } = await slowRestoreKit(t, h, serverId, destination, { cluster: () => target.url() })

async function databasesOnTarget(): Promise<string[]> {
  const rows = await adminQuery<{ datname: string }>(target.url(), 'SELECT datname FROM pg_database ORDER BY datname')
  return rows.map((r) => r.datname)
}

t.test('a staging database left while the target server was down is dropped once it is back, and nothing else is', async (t) => {
  await h.startRunner({ RUNNER_LOST_AFTER_SECONDS: '4', RUNNER_LEFTOVER_SCAN_SECONDS: '1' })
  const first = await victim(t)
  const firstGate = await gate(t)
  const { planId, backupId } = await slowBackup(firstGate)
  const failing = await h.restore({ backupId, planId, targetServerId: serverId, targetDatabase: first.name, overwrite: true })
  const [leftover] = await waitFor(
    () => stagingDatabases(failing),
    (dbs) => dbs.length === 1,
    { what: 'the restore to be restoring into staging' },
  )
  t.equal(leftover, stagingDatabaseNames(first.name, failing, 1).staging)

  await target.stop()
  const failed = await h.waitTerminal(failing)
  t.equal(failed.status, 'failed')
  t.equal(failed.error_code, 'restore_tool_failed', failed.error_message ?? '')
  await target.start()
  // A port taken meanwhile moves the cluster; the server record follows it.
  await h.db.sql`UPDATE servers SET port = ${target.port()} WHERE id = ${serverId}`
  await adminQuery(target.url(), `DROP DATABASE "${firstGate}"`) // the same backup restores at once from now on

  // Look-alikes that are not leftovers of a terminal restore of this server: never dropped.
  const lookAlikes = [`${first.name}__restore_0123456789ab_1`, stagingDatabaseNames(first.name, failing, 2).staging]
  for (const name of lookAlikes) {
    await adminQuery(target.url(), `CREATE DATABASE "${name}"`)
    t.teardown(() => adminQuery(target.url(), `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))
  }
  // An in_progress restore on the same server, held in its staging database by a gate.
  const second = await createEmptyDatabase(t, { cluster: target.url(), prefix: 'inflight' })
  const secondGate = await gate(t)
  const held = await slowBackup(secondGate)
  const running = await h.restore({ backupId: held.backupId, planId: held.planId, targetServerId: serverId, targetDatabase: second.name, overwrite: true })
  const [runningStaging] = await waitFor(
    () => stagingDatabases(running),
    (dbs) => dbs.length === 1,
    { what: 'the second restore to be restoring into staging' },
  )
  // A canary made only now, named as the staging database of a completed restore: once it is gone,
  // a scan has looked at the server while the in_progress restore's staging database existed.
  const done = await h.restore({ backupId, planId, targetServerId: serverId, targetDatabase: `${second.name}_done` })
  t.teardown(() => adminQuery(target.url(), `DROP DATABASE IF EXISTS "${second.name}_done" WITH (FORCE)`))
  t.equal((await h.waitTerminal(done)).status, 'completed')
  const canary = stagingDatabaseNames(`${second.name}_done`, done, 1).staging
  await adminQuery(target.url(), `CREATE DATABASE "${canary}"`)

  const after = await waitFor(databasesOnTarget, (dbs) => !dbs.includes(leftover ?? '') && !dbs.includes(canary), {
    what: 'the sweeper to drop the leftover and the canary',
    timeoutMs: 60_000,
  })
  for (const name of lookAlikes) t.ok(after.includes(name), `${name} is not ours to drop and stays`)
  t.ok(after.includes(runningStaging ?? ''), 'the in_progress restore keeps its staging database')
  t.equal((await h.row(running)).status, 'in_progress')
  t.same(await fingerprint(databaseUrl(target.url(), first.name)), first.before, 'the target of the failed restore is unchanged')

  await adminQuery(target.url(), `DROP DATABASE "${secondGate}" WITH (FORCE)`)
  const finished = await h.waitTerminal(running)
  t.equal(finished.status, 'completed', `${finished.error_code ?? ''} ${finished.error_message ?? ''}`)
  t.same(await fingerprint(databaseUrl(target.url(), second.name)), expected, 'the in_progress restore completed into its target')
  t.same(await stagingDatabases(running), [], 'and left nothing behind')
})
