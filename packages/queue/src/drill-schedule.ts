// Drills started on a plan's drillSchedule: one pg-boss cron schedule per plan on the `drill`
// queue (key = plan id), written in the same transaction as the plan row, so the plan and the
// queue never disagree about whether and when a plan drills. Runners with scheduling on send the
// job at each occurrence; the runner's drill handler creates the drill like the API does.
import { DRILL_QUEUE, type DrillJob, drillJobSchema } from '@devpilot/contracts'
import type { PgBoss } from 'pg-boss'
import type postgres from 'postgres'
import { transactionDb } from './transaction-db.js'

/** Scheduled drills are retried little: a drill that could not be created is skipped until the next occurrence. */
export const DRILL_QUEUE_OPTIONS = { retryLimit: 2, retryDelay: 5, expireInSeconds: 15 * 60 } as const

export async function ensureDrillQueue(boss: PgBoss): Promise<void> {
  await boss.createQueue(DRILL_QUEUE, DRILL_QUEUE_OPTIONS)
}

/**
 * Why a schedule cannot be used, or null when it can: five cron fields (pg-boss also takes six
 * fields and RRULEs, which the contract does not), an IANA time zone, and an expression that
 * pg-boss's parser reads in that zone.
 */
export function drillScheduleProblem(boss: PgBoss, schedule: { cron: string; timezone: string }): { field: 'cron' | 'timezone'; message: string } | null {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: schedule.timezone })
  } catch {
    return { field: 'timezone', message: `${schedule.timezone} is not an IANA time zone (e.g. UTC, Europe/Berlin)` }
  }
  const fields = schedule.cron.trim().split(/\s+/)
  if (fields.length !== 5) return { field: 'cron', message: `needs five fields (minute hour day-of-month month day-of-week), got ${fields.length}` }
  try {
    if (boss.previewSchedule(schedule.cron, { tz: schedule.timezone, count: 1, from: new Date() }).length === 0) {
      return { field: 'cron', message: 'never comes due' }
    }
  } catch (error) {
    return { field: 'cron', message: `not a valid cron expression (${error instanceof Error ? error.message : String(error)})` }
  }
  return null
}

/**
 * Writes (or, with null, removes) the plan's drill schedule inside the caller's transaction. The
 * job names the admin who set the schedule: scheduled drills are recorded as triggered by them.
 */
export async function syncDrillSchedule(
  boss: PgBoss,
  tx: postgres.TransactionSql,
  params: { planId: string; schedule: { cron: string; timezone: string } | null; triggeredByUserId: string },
): Promise<void> {
  const db = transactionDb(tx)
  if (params.schedule === null) {
    await boss.unschedule(DRILL_QUEUE, params.planId, { db })
    return
  }
  const data: DrillJob = drillJobSchema.parse({ planId: params.planId, triggeredByUserId: params.triggeredByUserId })
  await boss.schedule(DRILL_QUEUE, params.schedule.cron, data, { tz: params.schedule.timezone, key: params.planId, db })
}
