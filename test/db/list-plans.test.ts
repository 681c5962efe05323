// The history lists must stay fast at millions of rows: with enough rows for the planner to care,
// the exact queries the API runs walk the (workspace, created_at, id) indexes in order and stop
// after one page, instead of scanning and sorting the workspace. (A plain `ORDER BY … DESC` did
// not match the `DESC NULLS LAST` indexes and sorted 1M rows in 1.6 s: docs/benchmarks.md.)
import { listBackupsQuery, listRestoresQuery } from '@devpilot/db'
import { createProductDatabase, seedDatabaseBackup, seedWorkspace, testSecretBox } from '@devpilot/devenv/testing'
import t from 'tap'

const db = await createProductDatabase(t)
const { box } = testSecretBox()
const ws = await seedWorkspace(db.db)
const seeded = await seedDatabaseBackup(db.db, box, { workspaceId: ws.workspaceId, destinationPath: '/tmp/none' })
await db.sql`
  INSERT INTO backups (workspace_id, plan_id, destination_id, status, format, artifact_key, created_at, started_at, completed_at)
  SELECT ${ws.workspaceId}, ${seeded.planId}, ${seeded.destinationId}, 'completed', 'pg_custom', 'nightly/' || g || '.dump',
         now() - g * interval '1 minute', now() - g * interval '1 minute', now() - g * interval '1 minute'
  FROM generate_series(1, 30000) g`
await db.sql`
  INSERT INTO restores (workspace_id, backup_id, plan_id, target_server_id, target_database, triggered_by_user_id, created_at)
  SELECT ${ws.workspaceId}, ${seeded.backupId}, ${seeded.planId}, ${seeded.serverId}, 'db_' || g, ${ws.userId}, now() - g * interval '1 minute'
  FROM generate_series(1, 30000) g`
await db.sql`ANALYZE backups`
await db.sql`ANALYZE restores`

type PlanNode = { 'Node Type': string; 'Index Name'?: string; Plans?: PlanNode[] }
function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)]
}
async function plan(query: { toSQL(): { sql: string; params: unknown[] } }): Promise<PlanNode[]> {
  const { sql, params } = query.toSQL()
  const [row] = await db.sql.unsafe<Array<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>>(`EXPLAIN (FORMAT JSON) ${sql}`, params as never[])
  const root = row?.['QUERY PLAN'][0]?.Plan
  if (!root) throw new Error('no plan')
  return nodes(root)
}

t.test('the backup history walks its index in order and never sorts the workspace', async (t) => {
  const steps = await plan(listBackupsQuery(db.db, { workspaceId: ws.workspaceId, limit: 20 }))
  t.ok(
    steps.some((n) => n['Index Name'] === 'backups_workspace_created_idx'),
    JSON.stringify(steps.map((n) => n['Node Type'])),
  )
  t.notOk(
    steps.some((n) => n['Node Type'] === 'Sort'),
    'no sort node',
  )
})

t.test('the restore list walks its index in order and never sorts the workspace', async (t) => {
  const steps = await plan(listRestoresQuery(db.db, { workspaceId: ws.workspaceId, limit: 20 }))
  t.ok(
    steps.some((n) => n['Index Name'] === 'restores_workspace_created_idx'),
    JSON.stringify(steps.map((n) => n['Node Type'])),
  )
  t.notOk(
    steps.some((n) => n['Node Type'] === 'Sort'),
    'no sort node',
  )
})
