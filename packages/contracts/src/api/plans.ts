// Backup plans and the plan detail's restore summary.
import { z } from 'zod'
import { planModeSchema } from '../enums.js'
import { idSchema, pageSchema, paginationQuerySchema, timestampSchema } from './common.js'

const common = { id: idSchema, name: z.string(), destinationId: idSchema, mode: planModeSchema, createdAt: timestampSchema }

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

export const planDetailSchema = z
  .discriminatedUnion('type', [
    databasePlanSchema.extend({ restoreSummary: restoreSummarySchema }),
    filesPlanSchema.extend({ restoreSummary: restoreSummarySchema }),
  ])
  .meta({ id: 'PlanDetail' })
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
      })
      .strict()
      .meta({ id: 'FilesPlanCreate' }),
  ])
  .meta({ id: 'PlanCreate' })
export type CreatePlan = z.infer<typeof createPlanSchema>

export const planPageSchema = pageSchema(planSchema, 'PlanPage')
export const listPlansQuerySchema = paginationQuerySchema
