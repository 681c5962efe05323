// Backup plans and the plan detail's restore summary.
import { z } from 'zod'
import { planModeSchema, restoreStatusSchema } from '../enums.js'
import { idSchema, pageSchema, paginationQuerySchema, timestampSchema } from './common.js'
import { restoreVerificationSchema } from './restores.js'

/** The plan's own verification checks: each `sql` one read-only query returning exactly one row whose first column is true. */
export const planVerificationSchema = z
  .object({
    checks: z
      .array(
        z
          .object({ name: z.string().trim().min(1).max(100), sql: z.string().trim().min(1).max(10_000) })
          .strict()
          .meta({ id: 'PlanVerificationCheck' }),
      )
      .max(100),
  })
  .strict()
  .meta({ id: 'PlanVerification' })
export type PlanVerification = z.infer<typeof planVerificationSchema>

export const drillScheduleSchema = z
  .object({
    cron: z.string().trim().min(9).max(200).describe('Five-field cron expression, e.g. `0 3 * * *`.'),
    serverId: idSchema.optional().describe('Database plans (required there): the server the scratch database is created on. File plans take none.'),
    timezone: z.string().min(1).max(100).default('UTC'),
  })
  .strict()
  .meta({ id: 'DrillSchedule' })
export type DrillSchedule = z.infer<typeof drillScheduleSchema>

const common = {
  id: idSchema,
  name: z.string(),
  destinationId: idSchema,
  mode: planModeSchema,
  createdAt: timestampSchema,
  verification: planVerificationSchema.nullable(),
  drillSchedule: drillScheduleSchema.nullable(),
}

export const databasePlanSchema = z
  .object({ ...common, type: z.literal('database'), sourceServerId: idSchema.nullable(), sourceDatabase: z.string() })
  .meta({ id: 'DatabasePlan' })
export const filesPlanSchema = z.object({ ...common, type: z.literal('files'), sourcePath: z.string() }).meta({ id: 'FilesPlan' })
export const planSchema = z.discriminatedUnion('type', [databasePlanSchema, filesPlanSchema]).meta({ id: 'Plan' })
export type Plan = z.infer<typeof planSchema>

export const restoreSummarySchema = z
  .object({
    total: z.number().int(),
    pending: z.number().int(),
    inProgress: z.number().int(),
    completed: z.number().int(),
    failed: z.number().int(),
    lastRestoreAt: timestampSchema.nullable().describe('Creation time of the newest restore of any backup of the plan.'),
  })
  .meta({ id: 'RestoreSummary' })
export type RestoreSummary = z.infer<typeof restoreSummarySchema>

export const lastDrillSchema = z
  .object({
    restoreId: idSchema,
    status: restoreStatusSchema,
    startedAt: timestampSchema.nullable(),
    completedAt: timestampSchema.nullable(),
    durationSeconds: z.number().nullable().describe('Measured recovery time: completedAt − startedAt.'),
    backupId: idSchema,
    backupCompletedAt: timestampSchema.nullable().describe('startedAt − backupCompletedAt is the age of the data the drill proved restorable.'),
    verification: restoreVerificationSchema.nullable(),
  })
  .meta({ id: 'LastDrill' })
export type LastDrill = z.infer<typeof lastDrillSchema>

const detail = { restoreSummary: restoreSummarySchema, lastDrill: lastDrillSchema.nullable() }
export const planDetailSchema = z.discriminatedUnion('type', [databasePlanSchema.extend(detail), filesPlanSchema.extend(detail)]).meta({ id: 'PlanDetail' })
export type PlanDetail = z.infer<typeof planDetailSchema>

const name = z.string().trim().min(1).max(200)
export const createPlanSchema = z
  .discriminatedUnion('type', [
    z
      .object({
        name,
        type: z.literal('database'),
        sourceServerId: idSchema.nullable().optional(),
        sourceDatabase: z.string().min(1).max(63),
        destinationId: idSchema,
        mode: planModeSchema.default('scheduled'),
        verification: planVerificationSchema.nullable().optional(),
        drillSchedule: drillScheduleSchema.nullable().optional(),
      })
      .strict()
      .meta({ id: 'DatabasePlanCreate' }),
    z
      .object({
        name,
        type: z.literal('files'),
        sourcePath: z.string().min(1).max(4096).startsWith('/', 'must be an absolute path'),
        destinationId: idSchema,
        mode: planModeSchema.default('scheduled'),
        drillSchedule: drillScheduleSchema.nullable().optional(),
      })
      .strict()
      .meta({ id: 'FilesPlanCreate' }),
  ])
  .meta({ id: 'PlanCreate' })
export type CreatePlan = z.infer<typeof createPlanSchema>

export const updatePlanSchema = z
  .object({
    name: name.optional(),
    verification: planVerificationSchema.nullable().optional(),
    drillSchedule: drillScheduleSchema.nullable().optional(),
  })
  .strict()
  .meta({ id: 'PlanUpdate' })
export type UpdatePlan = z.infer<typeof updatePlanSchema>

export const planPageSchema = pageSchema(planSchema, 'PlanPage')
export const listPlansQuerySchema = paginationQuerySchema

/** POST /v1/plans/{id}/drills: a restore into a new scratch target that proves the plan restores. */
export const startDrillSchema = z
  .object({
    serverId: idSchema.optional().describe('Database plans (required there): the server the scratch database is created on. File plans take none.'),
    backupId: idSchema.optional().describe("Default: the plan's newest completed backup."),
    keep: z.boolean().default(false).describe('Keep the scratch database (or folder) afterwards; default: dropped once verified.'),
  })
  .strict()
  .meta({ id: 'DrillStart' })
export type StartDrill = z.infer<typeof startDrillSchema>
