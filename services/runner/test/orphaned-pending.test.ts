// A pending restore whose pg-boss job is gone (retries exhausted while the database was down, or
// deleted) must not wait forever: the sweeper gives it a job and the restore runs.
import { join } from 'node:path'
import { adminQuery, databaseUrl, dropDatabase, pgDump, psql, testEnv, uniqueName } from '@devpilot/devenv/testing'
import t from 'tap'
import { createHarness } from './harness.js'

const env = testEnv()
const h = await createHarness(t)
const serverId = await h.server(env.DEVPILOT_TEST_PG_URL)
const destination = await h.localDestination()

t.test('a pending restore with no job left is picked up by the sweeper and completes', async (t) => {
  const source = uniqueName('orph_src')
  await adminQuery(env.DEVPILOT_TEST_PG_URL, `CREATE DATABASE "${source}"`)
  const target = uniqueName('orph_dst')
  t.teardown(async () => {
    await dropDatabase(env.DEVPILOT_TEST_PG_URL, source)
    await dropDatabase(env.DEVPILOT_TEST_PG_URL, target)
  })
  await psql(databaseUrl(env.DEVPILOT_TEST_PG_URL, source), 'CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 5);')
  await pgDump(databaseUrl(env.DEVPILOT_TEST_PG_URL, source), 'pg_custom', join(destination.path, 'orph.dump'))
  const planId = await h.databasePlan({ sourceServerId: serverId, sourceDatabase: source, destinationId: destination.id })
  const backupId = await h.backup({ planId, format: 'pg_custom', artifactKey: 'orph.dump', file: join(destination.path, 'orph.dump') })
  // The record exists, its job does not: inserted an hour ago, never enqueued.
  const [row] = await h.db.sql<{ id: string }[]>`
    INSERT INTO restores (workspace_id, backup_id, plan_id, target_server_id, target_database, triggered_by_user_id, created_at)
    VALUES (${h.ws.workspaceId}, ${backupId}, ${planId}, ${serverId}, ${target}, ${h.ws.userId}, now() - interval '1 hour') RETURNING id`
  const restoreId = row?.id ?? ''
  await h.startRunner({ RUNNER_LOST_AFTER_SECONDS: '2' })
  const done = await h.waitTerminal(restoreId, 30_000)
  t.equal(done.status, 'completed', `${done.error_code ?? ''} ${done.error_message ?? ''}`)
  t.equal(await psql(databaseUrl(env.DEVPILOT_TEST_PG_URL, target), 'SELECT count(*) FROM t'), '5')
})
