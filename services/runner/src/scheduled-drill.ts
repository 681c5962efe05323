// A drill fired by a plan's drillSchedule: pg-boss's cron sends a job on the `drill` queue at each
// occurrence (packages/queue drill-schedule.ts); this creates the drill exactly as POST
// /v1/plans/{id}/drills does (packages/db resolveDrill + insertDrill), recorded as triggered by the
// admin who set the schedule. An occurrence that finds a drill of the plan still open is skipped,
// and one that cannot drill (no completed backup, server deleted) is logged and skipped: the next
// occurrence tries again.
import { type DrillJob, isAppError } from '@devpilot/contracts'
import { insertDrill, planForScheduledDrill, resolveDrill } from '@devpilot/db'
import { enqueueRestoreJob } from '@devpilot/queue'
import type { PgBoss } from 'pg-boss'
import type { RunnerContext } from './runner-context.js'

export async function runScheduledDrill(ctx: RunnerContext, boss: PgBoss, job: DrillJob): Promise<void> {
  const log = ctx.log.child({ planId: job.planId, scheduledDrill: true })
  const plan = await planForScheduledDrill(ctx.db, job.planId)
  if (!plan) {
    log.info('the plan has no drill schedule any more; nothing to do')
    return
  }
  try {
    const drill = await resolveDrill(ctx.db, {
      workspaceId: plan.workspaceId,
      workspaceSlug: plan.workspaceSlug,
      planId: job.planId,
      serverId: plan.serverId ?? undefined,
      keep: false,
      triggeredByUserId: job.triggeredByUserId,
      restoreRoots: ctx.config.RESTORE_PATH_ROOTS,
      now: new Date(),
    })
    const result = await insertDrill(ctx.db.$client, drill, (tx, restoreId) => enqueueRestoreJob(boss, tx, { restoreId }))
    if (result.kind === 'open') log.info('a drill of this plan is still open; this occurrence is skipped')
    else log.info({ restoreId: result.restoreId }, 'scheduled drill created')
  } catch (error) {
    if (!isAppError(error)) throw error
    log.warn({ code: error.code, reason: error.message }, 'scheduled drill not started; the next occurrence tries again')
  }
}
