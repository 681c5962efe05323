// Backup plans: what is backed up (a server's database or a path), how, and where to; and the
// per-plan restore summary aggregated over every backup of the plan.
import { type LastDrill, type Page, type Plan, type PlanMode, RESTORE_STATUS, type RestoreSummary } from '@devpilot/contracts'
import { and, eq, sql } from 'drizzle-orm'
import { type Db, isoTimestamp } from '../client.js'
import { backups, plans, restores } from '../schema.js'
import { afterCursor, newestFirst, type PageParams, toPage } from './pagination.js'
import { hasStatus } from './restore-status.js'

export type NewPlan =
  | { workspaceId: string; name: string; type: 'database'; sourceServerId: string | null; sourceDatabase: string; destinationId: string; mode?: PlanMode }
  | { workspaceId: string; name: string; type: 'files'; sourcePath: string; destinationId: string; mode?: PlanMode }

export async function insertPlan(db: Db, input: NewPlan) {
  const [row] = await db
    .insert(plans)
    .values({
      workspaceId: input.workspaceId,
      name: input.name,
      type: input.type,
      mode: input.mode ?? 'scheduled',
      destinationId: input.destinationId,
      sourceServerId: input.type === 'database' ? input.sourceServerId : null,
      sourceDatabase: input.type === 'database' ? input.sourceDatabase : null,
      sourcePath: input.type === 'files' ? input.sourcePath : null,
    })
    .returning({ id: plans.id })
  if (!row) throw new Error('plan insert returned nothing')
  return row
}

export const planColumns = {
  id: plans.id,
  name: plans.name,
  type: plans.type,
  mode: plans.mode,
  sourceServerId: plans.sourceServerId,
  sourceDatabase: plans.sourceDatabase,
  sourcePath: plans.sourcePath,
  destinationId: plans.destinationId,
  verification: plans.verification,
  drillSchedule: plans.drillSchedule,
  createdAt: plans.createdAt,
}
function selectPlans(db: Db) {
  return db.select(planColumns).from(plans)
}
type PlanRow = Awaited<ReturnType<typeof selectPlans>>[number]

export function toPlan(row: PlanRow): Plan {
  const base = {
    id: row.id,
    name: row.name,
    destinationId: row.destinationId,
    mode: row.mode,
    createdAt: isoTimestamp(row.createdAt),
    verification: row.verification,
    drillSchedule: row.drillSchedule,
  }
  return row.type === 'files'
    ? { ...base, type: 'files', sourcePath: row.sourcePath ?? '' }
    : { ...base, type: 'database', sourceServerId: row.sourceServerId, sourceDatabase: row.sourceDatabase ?? '' }
}

export async function listPlans(db: Db, params: { workspaceId: string } & PageParams): Promise<Page<Plan>> {
  const rows = await selectPlans(db)
    .where(and(eq(plans.workspaceId, params.workspaceId), afterCursor(plans.createdAt, plans.id, params.cursor)))
    .orderBy(...newestFirst(plans.createdAt, plans.id))
    .limit(params.limit + 1)
  return toPage(rows, params.limit, toPlan)
}

export async function getPlan(db: Db, params: { workspaceId: string; id: string }): Promise<Plan | null> {
  const [row] = await selectPlans(db).where(and(eq(plans.workspaceId, params.workspaceId), eq(plans.id, params.id)))
  return row ? toPlan(row) : null
}

export async function planRestoreSummary(db: Db, params: { workspaceId: string; planId: string }): Promise<RestoreSummary> {
  const [row] = await db
    .select({
      total: sql<number>`count(*)::int`,
      pending: sql<number>`count(*) FILTER (WHERE ${hasStatus(RESTORE_STATUS.pending)})::int`,
      inProgress: sql<number>`count(*) FILTER (WHERE ${hasStatus(RESTORE_STATUS.in_progress)})::int`,
      completed: sql<number>`count(*) FILTER (WHERE ${hasStatus(RESTORE_STATUS.completed)})::int`,
      failed: sql<number>`count(*) FILTER (WHERE ${hasStatus(RESTORE_STATUS.failed)})::int`,
      lastRestoreAt: sql<string | null>`max(${restores.createdAt})::text`,
    })
    .from(restores)
    // Real restores only: previews and drills are listed with the rest but never counted here.
    .where(and(eq(restores.workspaceId, params.workspaceId), eq(restores.planId, params.planId), eq(restores.dryRun, false), eq(restores.drill, false)))
  return {
    total: row?.total ?? 0,
    pending: row?.pending ?? 0,
    inProgress: row?.inProgress ?? 0,
    completed: row?.completed ?? 0,
    failed: row?.failed ?? 0,
    lastRestoreAt: isoTimestamp(row?.lastRestoreAt ?? null),
  }
}

/** The plan's newest drill (DESIGN.md "Drills"): its measured recovery time and the age of the data it proved. */
export async function planLastDrill(db: Db, params: { workspaceId: string; planId: string }): Promise<LastDrill | null> {
  const [row] = await db
    .select({
      restoreId: restores.id,
      status: restores.status,
      startedAt: restores.startedAt,
      completedAt: restores.completedAt,
      durationSeconds: sql<number | null>`extract(epoch FROM ${restores.completedAt} - ${restores.startedAt})::float8`,
      backupId: restores.backupId,
      backupCompletedAt: backups.completedAt,
      verification: restores.verification,
    })
    .from(restores)
    .innerJoin(backups, eq(backups.id, restores.backupId))
    .where(and(eq(restores.workspaceId, params.workspaceId), eq(restores.planId, params.planId), eq(restores.drill, true)))
    .orderBy(...newestFirst(restores.createdAt, restores.id))
    .limit(1)
  if (!row) return null
  return {
    ...row,
    startedAt: isoTimestamp(row.startedAt),
    completedAt: isoTimestamp(row.completedAt),
    backupCompletedAt: isoTimestamp(row.backupCompletedAt),
  }
}
