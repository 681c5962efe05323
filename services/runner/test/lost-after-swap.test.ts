// A runner killed after its swap committed but before it recorded `completed`, on the last
// allowed attempt: the target already holds the restored database. The restore must be recorded
// completed (not runner_lost, "the target was not changed"), and the target must survive.
import { join } from 'node:path'
import { adminQuery, databaseUrl, dropDatabase, pgDump, psql, testEnv, uniqueName } from '@devpilot/devenv/testing'
import t from 'tap'
import { swapMarker } from '../src/restore/pg-target.js'
import { createHarness } from './harness.js'

const env = testEnv()
const h = await createHarness(t)
const serverId = await h.server(env.DEVPILOT_TEST_PG_URL)
const destination = await h.localDestination()

t.test('a lost last attempt that had already swapped the target in is recorded completed, and the target is kept', async (t) => {
  const target = uniqueName('swapped')
  await adminQuery(env.DEVPILOT_TEST_PG_URL, `CREATE DATABASE "${target}"`)
  t.teardown(() => dropDatabase(env.DEVPILOT_TEST_PG_URL, target))
  const url = databaseUrl(env.DEVPILOT_TEST_PG_URL, target)
  await psql(url, 'CREATE TABLE restored (id int PRIMARY KEY); INSERT INTO restored SELECT generate_series(1, 7);')
  await pgDump(url, 'pg_custom', join(destination.path, 'x.dump'))
  const planId = await h.databasePlan({ sourceServerId: serverId, sourceDatabase: target, destinationId: destination.id })
  const backupId = await h.backup({ planId, format: 'pg_custom', artifactKey: 'x.dump', file: join(destination.path, 'x.dump') })
  const restoreId = await h.restore({ backupId, planId, targetServerId: serverId, targetDatabase: target, overwrite: true })

  // The state a killed runner leaves: claimed on its last attempt, heartbeat long gone, and the
  // target carrying the swap marker of this restore.
  await h.db
    .sql`UPDATE restores SET status = 'in_progress', started_at = now(), attempt = 2, runner_id = 'dead-runner', heartbeat_at = now() - interval '1 hour' WHERE id = ${restoreId}`
  await adminQuery(env.DEVPILOT_TEST_PG_URL, `COMMENT ON DATABASE "${target}" IS '${swapMarker(restoreId)}'`)

  await h.startRunner({ RUNNER_MAX_ATTEMPTS: '2' })
  const row = await h.waitTerminal(restoreId, 30_000)
  t.equal(row.status, 'completed', `${row.error_code ?? ''} ${row.error_message ?? ''}`)
  t.equal(await psql(url, 'SELECT count(*) FROM restored'), '7', 'the swapped-in database is still there')
  const [marker] = await adminQuery<{ c: string | null }>(
    env.DEVPILOT_TEST_PG_URL,
    `SELECT shobj_description(oid, 'pg_database') AS c FROM pg_database WHERE datname = $1`,
    [target],
  )
  t.equal(marker?.c ?? null, null, 'the marker was cleared')
})
