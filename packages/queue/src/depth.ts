// Queue depth for the operators' gauge: restore jobs waiting in pg-boss's own table, read at scrape
// time. `created` are new jobs (including those deferred with startAfter, e.g. a busy target);
// `retry` are jobs that failed or lost their worker and wait to be handed out again.
import { RESTORE_QUEUE } from '@devpilot/contracts'
import type postgres from 'postgres'

export const WAITING_JOB_STATES = ['created', 'retry'] as const
export type WaitingJobState = (typeof WAITING_JOB_STATES)[number]

/** Waiting restore jobs per state (pg-boss schema `pgboss`, the default createBoss uses). */
export async function restoreQueueDepth(sql: postgres.Sql): Promise<Record<WaitingJobState, number>> {
  const rows = await sql<{ state: WaitingJobState; n: number }[]>`
    SELECT state::text AS state, count(*)::int AS n
    FROM pgboss.job
    WHERE name = ${RESTORE_QUEUE} AND state IN ('created', 'retry')
    GROUP BY state`
  const depth: Record<WaitingJobState, number> = { created: 0, retry: 0 }
  for (const row of rows) depth[row.state] = row.n
  return depth
}
