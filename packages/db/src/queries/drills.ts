// Drills (DESIGN.md "Drills"): choosing the backup a drill restores, and finding the scratch targets
// of finished drills that were not kept, so the next drill of the plan or the sweeper can remove what
// a killed runner left behind. A drill's scratch target is its own record's target: nothing else is
// ever dropped.
import { join } from 'node:path'
import { AppError, drillScratchName, RESTORE_STATUS, workspaceRoots } from '@devpilot/contracts'
import { and, desc, eq, gte, sql } from 'drizzle-orm'
import type postgres from 'postgres'
import type { Db } from '../client.js'
import { pgConstraint, pgErrorCode } from '../pg-error.js'
import { backups, plans, restores, workspaces } from '../schema.js'
import { getBackup } from './backups.js'
import { getPlan } from './plans.js'
import { insertPendingRestore, type NewRestore } from './restores.js'
import { getServer } from './servers.js'

/** The plan's newest completed backup (by completion time), or null. */
export async function newestCompletedBackup(db: Db, params: { workspaceId: string; planId: string }): Promise<{ id: string } | null> {
  const [row] = await db
    .select({ id: backups.id })
    .from(backups)
    .where(and(eq(backups.workspaceId, params.workspaceId), eq(backups.planId, params.planId), eq(backups.status, 'completed')))
    .orderBy(desc(backups.completedAt), desc(backups.createdAt), desc(backups.id))
    .limit(1)
  return row ?? null
}

/**
 * Completed drills not kept, newest first, whose scratch target may still exist (completed within
 * `withinHours`), of one plan or of all; their ids. Failed drills never swapped anything into their
 * target (a name that existed before the drill is not its scratch), so they are never listed.
 */
export async function finishedUnkeptDrills(db: Db, params: { planId?: string; withinHours: number; limit: number }): Promise<string[]> {
  const rows = await db
    .select({ id: restores.id })
    .from(restores)
    .where(
      and(
        eq(restores.drill, true),
        eq(restores.drillKeep, false),
        eq(restores.status, RESTORE_STATUS.completed),
        gte(restores.completedAt, sql`now() - make_interval(hours => ${params.withinHours})`),
        params.planId ? eq(restores.planId, params.planId) : undefined,
      ),
    )
    .orderBy(desc(restores.completedAt))
    .limit(params.limit)
  return rows.map((r) => r.id)
}

export interface DrillRequest {
  workspaceId: string
  workspaceSlug: string
  planId: string
  serverId?: string | undefined
  backupId?: string | undefined
  keep: boolean
  triggeredByUserId: string
  /** RESTORE_PATH_ROOTS: a file plan's scratch folder goes into the workspace's folder under the first. */
  restoreRoots: readonly string[]
  now: Date
}

function fieldProblem(field: string, message: string): AppError {
  return new AppError('validation_failed', `${field}: ${message}.`, { status: 422, details: { errors: [{ path: `body.${field}`, message }] } })
}

/**
 * Resolves a drill request into the pending record's fields: the plan's newest completed backup (or
 * the one named, which must be a completed backup of the plan), and the scratch target.
 */
export async function resolveDrill(db: Db, request: DrillRequest): Promise<NewRestore> {
  const { workspaceId } = request
  const plan = await getPlan(db, { workspaceId, id: request.planId })
  if (!plan) throw new AppError('not_found', 'No plan with this id in your workspace.')
  let backupId: string
  if (request.backupId) {
    const backup = await getBackup(db, { workspaceId, id: request.backupId })
    if (!backup || backup.planId !== plan.id) throw fieldProblem('backupId', 'no such backup of this plan')
    if (backup.status !== 'completed') throw new AppError('backup_not_restorable', `Only completed backups can be drilled; this one is ${backup.status}.`)
    backupId = backup.id
  } else {
    const newest = await newestCompletedBackup(db, { workspaceId, planId: plan.id })
    if (!newest) throw new AppError('backup_not_restorable', 'The plan has no completed backup to drill.')
    backupId = newest.id
  }
  const name = drillScratchName(plan.id, request.now)
  const common = {
    workspaceId,
    backupId,
    planId: plan.id,
    triggeredByUserId: request.triggeredByUserId,
    overwrite: false,
    idempotencyKey: null,
    requestFingerprint: null,
    drill: true,
    drillKeep: request.keep,
  }
  if (plan.type === 'database') {
    if (!request.serverId) throw fieldProblem('serverId', 'a database plan drills into a scratch database on a server: name it')
    if (!(await getServer(db, { workspaceId, id: request.serverId }))) throw fieldProblem('serverId', 'no such server in this workspace')
    return { ...common, targetServerId: request.serverId, targetDatabase: name, targetPath: null }
  }
  if (request.serverId) throw fieldProblem('serverId', 'a file plan drills into a scratch folder and takes no server')
  const [folder] = workspaceRoots(request.restoreRoots, request.workspaceSlug)
  if (!folder)
    throw new AppError('validation_failed', 'No RESTORE_PATH_ROOTS are configured for this workspace, so a file drill has nowhere to extract.', { status: 422 })
  return { ...common, targetServerId: null, targetDatabase: null, targetPath: join(folder, name) }
}

/**
 * Inserts the pending drill and enqueues its job in ONE transaction (`enqueue` runs on it). A plan
 * with a drill still pending or running answers `open` (the unique index restores_open_drill_key).
 */
export async function insertDrill(
  sql: postgres.Sql,
  drill: NewRestore,
  enqueue: (tx: postgres.TransactionSql, restoreId: string) => Promise<unknown>,
): Promise<{ kind: 'created'; restoreId: string } | { kind: 'open' }> {
  try {
    const restoreId = await sql.begin(async (tx) => {
      const id = await insertPendingRestore(tx, drill)
      await enqueue(tx, id)
      return id
    })
    return { kind: 'created', restoreId }
  } catch (error) {
    if (pgErrorCode(error) === '23505' && pgConstraint(error) === 'restores_open_drill_key') return { kind: 'open' }
    throw error
  }
}

/** The plan's workspace, for a scheduled drill whose job carries only the plan id. */
export async function planForScheduledDrill(db: Db, planId: string): Promise<{ workspaceId: string; workspaceSlug: string; serverId: string | null } | null> {
  const [row] = await db
    .select({ workspaceId: plans.workspaceId, workspaceSlug: workspaces.slug, drillSchedule: plans.drillSchedule })
    .from(plans)
    .innerJoin(workspaces, eq(workspaces.id, plans.workspaceId))
    .where(eq(plans.id, planId))
  if (!row?.drillSchedule) return null
  return { workspaceId: row.workspaceId, workspaceSlug: row.workspaceSlug, serverId: row.drillSchedule.serverId ?? null }
}
