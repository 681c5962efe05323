// Backup plans: what is backed up (a server's database or a path), how, and where to; and the
// per-plan restore summary aggregated over every backup of the plan.
import type { CreatePlan, Page, Plan, PlanMode, RestoreSummary } from '@devpilot/contracts'
import { and, eq, sql } from 'drizzle-orm'
import { type Db, isoTimestamp } from '../client.js'
import { plans, restores } from '../schema.js'
import { afterCursor, newestFirst, type PageParams, toPage } from './pagination.js'

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
  createdAt: plans.createdAt,
}
function selectPlans(db: Db) {
  return db.select(planColumns).from(plans)
}
type PlanRow = Awaited<ReturnType<typeof selectPlans>>[number]

export function toPlan(row: PlanRow): Plan {
  const base = { id: row.id, name: row.name, destinationId: row.destinationId, mode: row.mode as PlanMode, createdAt: isoTimestamp(row.createdAt) }
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

export async function createPlan(db: Db, params: { workspaceId: string; input: CreatePlan }): Promise<Plan> {
  const { input } = params
  const { id } = await insertPlan(
    db,
    input.type === 'database'
      ? { ...input, workspaceId: params.workspaceId, sourceServerId: input.sourceServerId ?? null }
      : { ...input, workspaceId: params.workspaceId },
  )
  const plan = await getPlan(db, { workspaceId: params.workspaceId, id })
  if (!plan) throw new Error('plan vanished after insert')
  return plan
}

export async function planRestoreSummary(db: Db, params: { workspaceId: string; planId: string }): Promise<RestoreSummary> {
  const [row] = await db
    .select({
      total: sql<number>`count(*)::int`,
      pending: sql<number>`count(*) FILTER (WHERE ${restores.status} = 'pending')::int`,
      inProgress: sql<number>`count(*) FILTER (WHERE ${restores.status} = 'in_progress')::int`,
      completed: sql<number>`count(*) FILTER (WHERE ${restores.status} = 'completed')::int`,
      failed: sql<number>`count(*) FILTER (WHERE ${restores.status} = 'failed')::int`,
      lastRestoreAt: sql<string | null>`max(${restores.createdAt})::text`,
    })
    .from(restores)
    .where(and(eq(restores.workspaceId, params.workspaceId), eq(restores.planId, params.planId)))
  return {
    total: row?.total ?? 0,
    pending: row?.pending ?? 0,
    inProgress: row?.inProgress ?? 0,
    completed: row?.completed ?? 0,
    failed: row?.failed ?? 0,
    lastRestoreAt: isoTimestamp(row?.lastRestoreAt ?? null),
  }
}
