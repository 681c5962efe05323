// Restore records as the API shows them, and the body that starts one. `target` is the
// effective target (plan defaults already applied), so the record says exactly what ran where.
import { z } from 'zod'
import { restoreStatusSchema } from '../enums.js'
import { databaseNameSchema, idSchema, pageSchema, paginationQuerySchema, timestampSchema } from './common.js'

export const restoreTargetSchema = z
  .object({
    serverId: idSchema.nullable(),
    database: z.string().nullable(),
    path: z.string().nullable(),
    overwrite: z.boolean(),
  })
  .meta({ id: 'RestoreTarget' })

export const restoreErrorSchema = z.object({ code: z.string(), message: z.string() }).meta({ id: 'RestoreError' })

export const pointInTimeSchema = z
  .object({
    targetTime: timestampSchema,
    baseBackupId: idSchema,
    appliedLsn: z.string().nullable(),
    appliedCommitAt: timestampSchema.nullable(),
  })
  .meta({ id: 'PointInTime' })

export const restoreSchema = z
  .object({
    id: idSchema,
    backupId: idSchema,
    planId: idSchema,
    status: restoreStatusSchema,
    target: restoreTargetSchema,
    triggeredBy: z.object({ userId: idSchema, email: z.string() }),
    createdAt: timestampSchema,
    startedAt: timestampSchema.nullable(),
    completedAt: timestampSchema.nullable(),
    error: restoreErrorSchema.nullable(),
    progress: z.object({ bytesDone: z.number().int(), bytesTotal: z.number().int().nullable() }),
    pointInTime: pointInTimeSchema.nullable().describe('Set for point-in-time restores; null for every other restore.'),
  })
  .meta({ id: 'Restore' })
export type Restore = z.infer<typeof restoreSchema>

export const startRestoreSchema = z
  .object({
    targetServerId: idSchema.nullable().optional().describe("Database backups: the server to restore into; default the plan's source server."),
    targetDatabase: databaseNameSchema.nullable().optional().describe("Database backups: default the plan's source database."),
    targetPath: z
      .string()
      .min(1)
      .max(4096)
      .nullable()
      .optional()
      .describe("File backups: absolute directory under RESTORE_PATH_ROOTS; default the plan's source path."),
    overwrite: z.boolean().default(false),
  })
  .strict()
  .meta({ id: 'RestoreStart' })
export type StartRestore = z.infer<typeof startRestoreSchema>

export const idempotencyHeadersSchema = z.object({
  'idempotency-key': z.string().min(1).max(255).optional().describe('Repeat a start safely: the same key and body return the same restore.'),
})

export const restorePageSchema = pageSchema(restoreSchema, 'RestorePage')
export const listRestoresQuerySchema = paginationQuerySchema.extend({
  status: restoreStatusSchema.optional(),
  planId: idSchema.optional(),
  backupId: idSchema.optional(),
})
export type ListRestoresQuery = z.infer<typeof listRestoresQuerySchema>
