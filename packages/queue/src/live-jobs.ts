// Which restores still have a job pg-boss will hand out (or is running), read from pg-boss's own
// table: the sweeper gives a job back to a pending restore that has none (packages/db
// findOrphanedPendingRestores takes this list). Only this package reads pg-boss's tables.
import { RESTORE_QUEUE } from '@devpilot/contracts'
import type postgres from 'postgres'
import { WAITING_JOB_STATES } from './depth.js'

/** Waiting jobs, plus the one a worker holds right now. */
export const LIVE_JOB_STATES = [...WAITING_JOB_STATES, 'active'] as const

/** Restore ids with a live job in the restore queue (pg-boss schema `pgboss`, the default createBoss uses). */
export async function liveRestoreJobIds(sql: postgres.Sql): Promise<string[]> {
  const rows = await sql<{ restore_id: string }[]>`
    SELECT DISTINCT data->>'restoreId' AS restore_id
    FROM pgboss.job
    WHERE name = ${RESTORE_QUEUE} AND state::text IN ${sql(LIVE_JOB_STATES)} AND data->>'restoreId' IS NOT NULL`
  return rows.map((r) => r.restore_id)
}
