// The devpilot_restores gauge is read on every scrape: it must cost the same at a million restores
// as at a thousand. It counts only the live restores (pending, in_progress), each through an index;
// counting every status (`count(*) … GROUP BY status`) read the whole table on every scrape. The
// test counts with few and with many finished restores and compares the plans and the pages read.
import { countLiveRestores, inProgressCountQuery, pendingCountQuery } from '@devpilot/db'
import { createProductDatabase, seedDatabaseBackup, seedWorkspace, testSecretBox } from '@devpilot/devenv/testing'
import t from 'tap'

const db = await createProductDatabase(t)
const { box } = testSecretBox()
const ws = await seedWorkspace(db.db)
for (let i = 0; i < 4; i++) await seedWorkspace(db.db) // workspaces without restores are probed too
const seeded = await seedDatabaseBackup(db.db, box, { workspaceId: ws.workspaceId, destinationPath: '/tmp/none' })

/** Inserts `n` restores (created pending, as the trigger demands) and moves them to `status`. */
async function addRestores(n: number, status: 'pending' | 'in_progress' | 'completed' | 'failed', tag: string): Promise<void> {
  const ids = await db.sql<{ id: string }[]>`
    INSERT INTO restores (workspace_id, backup_id, plan_id, target_server_id, target_database, triggered_by_user_id, created_at)
    SELECT ${ws.workspaceId}, ${seeded.backupId}, ${seeded.planId}, ${seeded.serverId}, ${tag} || '_' || g, ${ws.userId}, now() - g * interval '1 second'
    FROM generate_series(1, ${n}) g
    RETURNING id`
  if (status === 'pending') return
  const list = ids.map((r) => r.id)
  await db.sql`UPDATE restores SET status = 'in_progress', started_at = now(), attempt = 1, heartbeat_at = now() WHERE id = ANY(${list}::uuid[])`
  if (status === 'completed') await db.sql`UPDATE restores SET status = 'completed', completed_at = now() WHERE id = ANY(${list}::uuid[])`
  if (status === 'failed')
    await db.sql`UPDATE restores SET status = 'failed', completed_at = now(), error_code = 'restore_tool_failed', error_message = 'x' WHERE id = ANY(${list}::uuid[])`
}

type PlanNode = {
  'Node Type': string
  'Relation Name'?: string
  'Index Name'?: string
  'Shared Hit Blocks'?: number
  'Shared Read Blocks'?: number
  Plans?: PlanNode[]
}
function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)]
}
/** The plan's nodes and the shared pages the whole query touched (hit + read). */
async function explain(query: { toSQL(): { sql: string; params: unknown[] } }): Promise<{ steps: PlanNode[]; pages: number }> {
  const { sql, params } = query.toSQL()
  const [row] = await db.sql.unsafe<Array<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>>(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`, params as never[])
  const root = row?.['QUERY PLAN'][0]?.Plan
  if (!root) throw new Error('no plan')
  return { steps: nodes(root), pages: (root['Shared Hit Blocks'] ?? 0) + (root['Shared Read Blocks'] ?? 0) }
}

const describe = (steps: PlanNode[]) => JSON.stringify(steps.map((n) => [n['Node Type'], n['Relation Name'] ?? n['Index Name'] ?? '']))

await addRestores(120, 'pending', 'p')
await addRestores(30, 'in_progress', 'r')
await addRestores(500, 'completed', 'c')
await addRestores(500, 'failed', 'f')
await db.sql`VACUUM ANALYZE restores`
const few = { pending: await explain(pendingCountQuery(db.db)), inProgress: await explain(inProgressCountQuery(db.db)) }
await addRestores(20_000, 'completed', 'c2')
await addRestores(10_000, 'failed', 'f2')
await db.sql`VACUUM ANALYZE restores`
const many = { pending: await explain(pendingCountQuery(db.db)), inProgress: await explain(inProgressCountQuery(db.db)) }

t.test('the live counts are exact', async (t) => {
  t.same(await countLiveRestores(db.db), { pending: 120, in_progress: 30 })
})

t.test('in_progress restores are counted on a partial index, never by reading the table', async (t) => {
  for (const { steps } of [few.inProgress, many.inProgress]) {
    t.notOk(
      steps.some((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'restores'),
      describe(steps),
    )
    t.ok(
      steps.some((n) => n['Index Name'] === 'restores_heartbeat_idx' || n['Index Name']?.startsWith('restores_active_')),
      describe(steps),
    )
  }
})

t.test('pending restores are counted on the (workspace, status) index, one probe per workspace', async (t) => {
  for (const { steps } of [few.pending, many.pending]) {
    t.notOk(
      steps.some((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'restores'),
      describe(steps),
    )
    t.ok(
      steps.some((n) => n['Index Name'] === 'restores_status_created_idx'),
      describe(steps),
    )
  }
})

t.test('30,000 more finished restores add at most an index level or two per probe, never pages of the table', async (t) => {
  const [table] = await db.sql<{ pages: number }[]>`SELECT (pg_relation_size('restores') / current_setting('block_size')::int)::int AS pages`
  const heapPages = table?.pages ?? 0
  // 5 workspaces probed for pending, 1 probe for in_progress; the 30,000 rows that went through
  // in_progress leave that partial index a level or two deeper after VACUUM, never wider by them.
  t.ok(many.pending.pages <= few.pending.pages + 5 * 3, `pending: ${few.pending.pages} pages with 1,150 restores, ${many.pending.pages} with 31,150`)
  t.ok(
    many.inProgress.pages <= few.inProgress.pages + 3,
    `in_progress: ${few.inProgress.pages} pages with 1,150 restores, ${many.inProgress.pages} with 31,150`,
  )
  t.ok(many.pending.pages + many.inProgress.pages < heapPages / 10, `a scrape reads far less than the table's ${heapPages} pages`)
  t.comment(
    `pages read: pending ${few.pending.pages} -> ${many.pending.pages}, in_progress ${few.inProgress.pages} -> ${many.inProgress.pages}; table ${heapPages} pages`,
  )
})
