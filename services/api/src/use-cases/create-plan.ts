// Creating and changing plans. A plan's destination and (for database plans) source server must be
// live rows of the caller's workspace; anything else is a 422 naming the field, the same for
// "elsewhere" and "nowhere". Verification checks and the drill schedule are validated here (a cron
// and time zone pg-boss can use, a drill server of this workspace), and the schedule is written to
// pg-boss in the same transaction as the plan row (packages/queue syncDrillSchedule).
import { AppError, type CreatePlan, type DrillSchedule, type Plan, type UpdatePlan } from '@devpilot/contracts'
import { getDestination, getPlan, getServer, insertPlanWithSettings, type Principal, updatePlanSettings } from '@devpilot/db'
import { drillScheduleProblem, syncDrillSchedule } from '@devpilot/queue'
import type { AppDeps } from '../deps.js'
import { fieldError } from '../field-error.js'
import { found } from '../not-found.js'

async function checkDrillSchedule(deps: AppDeps, workspaceId: string, planType: Plan['type'], schedule: DrillSchedule): Promise<void> {
  const problem = drillScheduleProblem(deps.boss, schedule)
  if (problem) throw fieldError(`drillSchedule.${problem.field}`, problem.message)
  if (planType === 'database') {
    if (!schedule.serverId) throw fieldError('drillSchedule.serverId', 'a database plan drills into a scratch database on a server: name it')
    if (!(await getServer(deps.database.db, { workspaceId, id: schedule.serverId })))
      throw fieldError('drillSchedule.serverId', 'no such server in this workspace')
  } else if (schedule.serverId) {
    throw fieldError('drillSchedule.serverId', 'a file plan drills into a scratch folder and takes no server')
  }
}

export async function createPlanChecked(deps: AppDeps, principal: Principal, input: CreatePlan): Promise<Plan> {
  const { db, sql } = deps.database
  const { workspaceId } = principal
  if (!(await getDestination(db, { workspaceId, id: input.destinationId }))) throw fieldError('destinationId', 'no such destination in this workspace')
  if (input.type === 'database' && input.sourceServerId && !(await getServer(db, { workspaceId, id: input.sourceServerId }))) {
    throw fieldError('sourceServerId', 'no such server in this workspace')
  }
  const drillSchedule = input.drillSchedule ?? null
  if (drillSchedule) await checkDrillSchedule(deps, workspaceId, input.type, drillSchedule)
  const id = await sql.begin(async (tx) => {
    const planId = await insertPlanWithSettings(
      tx,
      input.type === 'database' ? { ...input, workspaceId, sourceServerId: input.sourceServerId ?? null } : { ...input, workspaceId },
    )
    if (drillSchedule) await syncDrillSchedule(deps.boss, tx, { planId, schedule: drillSchedule, triggeredByUserId: principal.userId })
    return planId
  })
  return found(await getPlan(db, { workspaceId, id }), 'plan')
}

/**
 * PATCH /v1/plans/{id}: name, verification and drillSchedule; an absent field stays, null clears.
 * A schedule set or cleared here replaces the plan's pg-boss schedule in the same transaction.
 */
export async function updatePlanChecked(deps: AppDeps, principal: Principal, id: string, patch: UpdatePlan): Promise<Plan> {
  const { db, sql } = deps.database
  const { workspaceId } = principal
  const plan = found(await getPlan(db, { workspaceId, id }), 'plan')
  if (patch.verification && plan.type === 'files') throw fieldError('verification', 'verification checks are SQL and apply to database plans only')
  if (patch.drillSchedule) await checkDrillSchedule(deps, workspaceId, plan.type, patch.drillSchedule)
  await sql.begin(async (tx) => {
    if (!(await updatePlanSettings(tx, { workspaceId, id, patch }))) throw new AppError('not_found', 'No plan with this id in your workspace.')
    if (patch.drillSchedule !== undefined) {
      await syncDrillSchedule(deps.boss, tx, { planId: id, schedule: patch.drillSchedule, triggeredByUserId: principal.userId })
    }
  })
  return found(await getPlan(db, { workspaceId, id }), 'plan')
}
