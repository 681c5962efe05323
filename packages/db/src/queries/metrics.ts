// Aggregates behind the operators' Prometheus gauges, read at scrape time. Unlike every other
// query here they span all workspaces on purpose: they return counts only, never ids or names.
import { RESTORE_STATUSES, type RestoreStatus } from '@devpilot/contracts'
import { sql } from 'drizzle-orm'
import type { Db } from '../client.js'
import { restores } from '../schema.js'

/** Restores per status over every workspace; a status with no restores counts 0. */
export async function countRestoresByStatus(db: Db): Promise<Record<RestoreStatus, number>> {
  const rows = await db.select({ status: restores.status, n: sql<number>`count(*)::int` }).from(restores).groupBy(restores.status)
  const counts = Object.fromEntries(RESTORE_STATUSES.map((s) => [s, 0])) as Record<RestoreStatus, number>
  for (const row of rows) counts[row.status] = row.n
  return counts
}
