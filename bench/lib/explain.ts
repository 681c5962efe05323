// Diagnostics for the list benchmark: server-side execution time (EXPLAIN ANALYZE) of the history
// list query in the shape listBackups (packages/db) sends it — ORDER BY created_at DESC, id DESC —
// and in the shape that matches the list index as migrated (DESC NULLS LAST), with whether each
// plan reads the index or scans and sorts the whole workspace.
import postgres from 'postgres'

export interface ExplainResult {
  executionMs: number
  usesListIndex: boolean
}

async function explain(sql: postgres.Sql, workspaceId: string, nullsLast: boolean): Promise<ExplainResult> {
  const order = nullsLast ? 'b.created_at DESC NULLS LAST, b.id DESC NULLS LAST' : 'b.created_at DESC, b.id DESC'
  const rows = await sql.unsafe<{ 'QUERY PLAN': string }[]>(
    `EXPLAIN (ANALYZE, FORMAT TEXT) SELECT b.*, p.name FROM backups b JOIN plans p ON p.id = b.plan_id WHERE b.workspace_id = $1 ORDER BY ${order} LIMIT 21`,
    [workspaceId],
  )
  const plan = rows.map((r) => r['QUERY PLAN']).join('\n')
  return { executionMs: Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1] ?? Number.NaN), usesListIndex: plan.includes('backups_workspace_created_idx') }
}

export async function explainListQuery(databaseUrl: string, workspaceId: string): Promise<{ asSent: ExplainResult; matchingIndex: ExplainResult }> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} })
  try {
    return { asSent: await explain(sql, workspaceId, false), matchingIndex: await explain(sql, workspaceId, true) }
  } finally {
    await sql.end()
  }
}
