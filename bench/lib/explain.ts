// Diagnostics for the list benchmark: server-side execution time (EXPLAIN ANALYZE) of the exact
// history query the API runs (listBackupsQuery from packages/db, first page), and whether its plan
// walks the list index or scans and sorts the whole workspace.
import { listBackupsQuery, openDatabase } from '@devpilot/db'

export interface ExplainResult {
  executionMs: number
  usesListIndex: boolean
}

export async function explainListQuery(databaseUrl: string, workspaceId: string): Promise<ExplainResult> {
  const database = openDatabase(databaseUrl, { max: 1 })
  try {
    const { sql, params } = listBackupsQuery(database.db, { workspaceId, limit: 20 }).toSQL()
    const rows = await database.sql.unsafe<{ 'QUERY PLAN': string }[]>(`EXPLAIN (ANALYZE, FORMAT TEXT) ${sql}`, params as never[])
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n')
    return { executionMs: Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1] ?? Number.NaN), usesListIndex: plan.includes('backups_workspace_created_idx') }
  } finally {
    await database.close()
  }
}
