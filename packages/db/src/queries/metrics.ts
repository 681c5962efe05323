// Aggregates behind the operators' Prometheus gauges, read at scrape time. Unlike every other
// query here they span all workspaces on purpose: they return counts only, never ids or names.
// A scrape must cost the same at a million restores as at a thousand, so only the live restores
// (pending, in_progress) are counted, each through an index; terminal totals grow forever and are
// not counted here (the runners' devpilot_runner_restores_finished_total counts them as they happen).
import { RESTORE_STATUS } from '@devpilot/contracts'
import { and, eq, sql } from 'drizzle-orm'
import type { Db } from '../client.js'
import { restores, workspaces } from '../schema.js'
import { hasStatus } from './restore-status.js'

export interface LiveRestoreCounts {
  pending: number
  in_progress: number
}

/** in_progress restores: an index-only count over the partial indexes on in_progress rows. */
export function inProgressCountQuery(db: Db) {
  return db.select({ n: sql<number>`count(*)::int` }).from(restores).where(hasStatus(RESTORE_STATUS.in_progress))
}

/**
 * pending restores, counted per workspace on the (workspace_id, status, …) index: the cost is one
 * index probe per workspace plus the pending rows, whatever the number of finished restores.
 * (A partial index on pending rows would make it one probe; see docs/deployment.md.)
 */
export function pendingCountQuery(db: Db) {
  const perWorkspace = db
    .select({ n: sql`count(*)` })
    .from(restores)
    .where(and(eq(restores.workspaceId, workspaces.id), hasStatus(RESTORE_STATUS.pending)))
  return db.select({ n: sql<number>`coalesce(sum((${perWorkspace})), 0)::int` }).from(workspaces)
}

/** Restores waiting and running over every workspace. */
export async function countLiveRestores(db: Db): Promise<LiveRestoreCounts> {
  const [[pending], [inProgress]] = await Promise.all([pendingCountQuery(db), inProgressCountQuery(db)])
  return { pending: pending?.n ?? 0, in_progress: inProgress?.n ?? 0 }
}
