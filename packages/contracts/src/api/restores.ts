// Restore records as the API shows them, and the body that starts one. `target` is the
// effective target (plan defaults already applied), so the record says exactly what ran where.
import { z } from 'zod'
import { checkStatusSchema, restoreStageSchema, restoreStatusSchema } from '../enums.js'
import { booleanQuerySchema, databaseNameSchema, idSchema, pageSchema, paginationQuerySchema, timestampSchema } from './common.js'

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

export const preflightCheckSchema = z
  .object({
    name: z
      .string()
      .describe(
        'artifact_readable, target_reachable, dump_version, target_state, roles, extensions, permissions, sessions, staging_space, target_path, archive_members, disk_space, include.',
      ),
    status: checkStatusSchema,
    message: z.string(),
  })
  .meta({ id: 'PreflightCheck' })
export type PreflightCheck = z.infer<typeof preflightCheckSchema>

export const PREVIEW_ACTIONS = ['create', 'replace', 'drop'] as const
export const previewItemSchema = z
  .object({
    action: z.enum(PREVIEW_ACTIONS),
    kind: z.string().describe('schema, table, view, materialized_view, sequence, function, type, extension, index, trigger, …; files: file, dir, symlink.'),
    name: z.string().describe('Schema-qualified for database objects; the relative path for files.'),
    rowsNow: z.number().int().nullable().describe("The target table's current row estimate; null for other kinds."),
  })
  .meta({ id: 'RestorePreviewItem' })
export type PreviewItem = z.infer<typeof previewItemSchema>

/** Items a preview lists at most; `truncated` says when more exist. */
export const PREVIEW_MAX_ITEMS = 500

export const restorePreviewSchema = z
  .object({
    verdict: z.enum(['ready', 'blocked']).describe('blocked when a preflight check failed.'),
    bytesNeeded: z.number().int().nullable().describe('Bytes the staging copy needs (estimated from the artifact).'),
    changes: z
      .object({
        create: z.number().int(),
        replace: z.number().int(),
        drop: z.number().int(),
        items: z.array(previewItemSchema),
        truncated: z.boolean(),
      })
      .nullable()
      .describe('null for a plain-SQL dump, which has no table of contents.'),
    pointInTime: z
      .object({
        baseBackupId: z.string(),
        segments: z.number().int(),
        firstLsn: z.string().nullable(),
        lastLsn: z.string().nullable(),
      })
      .nullable()
      .optional()
      .describe('Point-in-time previews: the base snapshot and the change-stream segments the replay would apply.'),
  })
  .meta({ id: 'RestorePreview' })
export type RestorePreview = z.infer<typeof restorePreviewSchema>

export const VERIFICATION_STATUSES = ['passed', 'failed', 'skipped'] as const
export const restoreVerificationSchema = z
  .object({
    status: z.enum(VERIFICATION_STATUSES),
    checks: z.array(z.object({ name: z.string(), status: z.enum(['passed', 'failed']), message: z.string() }).meta({ id: 'VerificationCheck' })),
    tables: z.array(
      z.object({ schema: z.string(), name: z.string(), rows: z.number().int(), expectedRows: z.number().int().nullable() }).meta({ id: 'VerificationTable' }),
    ),
  })
  .meta({ id: 'RestoreVerification' })
export type RestoreVerification = z.infer<typeof restoreVerificationSchema>

/** A partial restore's selection: database (`schemas`, `tables` as `schema.table`) or files (`paths`). */
export const restoreIncludeSchema = z
  .object({
    schemas: z.array(z.string().min(1).max(63)).max(1000).optional(),
    tables: z.array(z.string().min(1).max(200)).max(10000).optional().describe('`schema.table`; quote a part that contains a dot with double quotes.'),
    paths: z.array(z.string().min(1).max(4096)).max(10000).optional().describe('Relative paths inside the archive; a directory selects everything below it.'),
  })
  .strict()
  .meta({ id: 'RestoreInclude' })
export type RestoreInclude = z.infer<typeof restoreIncludeSchema>

export const restoreProgressSchema = z
  .object({
    bytesDone: z.number().int(),
    bytesTotal: z.number().int().nullable(),
    stage: restoreStageSchema.nullable().describe('What the runner is doing; null while pending and once terminal.'),
    etaSeconds: z.number().int().nullable().describe('Estimated seconds left, from bytes and rate; null when unknown.'),
  })
  .meta({ id: 'RestoreProgress' })

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
    progress: restoreProgressSchema,
    pointInTime: pointInTimeSchema.nullable().describe('Set for point-in-time restores; null for every other restore.'),
    dryRun: z.boolean().describe('A preview: runs the preflight checks and computes `preview`, never touches the target.'),
    drill: z.boolean().describe('A restore drill into a scratch target (POST /v1/plans/{id}/drills).'),
    checks: z.array(preflightCheckSchema).describe('Preflight checks as they complete; [] until they ran.'),
    preview: restorePreviewSchema.nullable().describe('Dry runs only; null for real restores.'),
    verification: restoreVerificationSchema.nullable().describe('null while not yet run.'),
    cancelRequestedAt: timestampSchema.nullable(),
    include: restoreIncludeSchema.nullable().describe('A partial restore: what was selected; null for a whole restore.'),
    targetSchema: z.string().nullable().describe('Partial database restores: the new schema the selected tables land in.'),
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
    dryRun: z.boolean().default(false).describe('Preview only: run the preflight checks and compute the change list; the target is never touched.'),
    include: restoreIncludeSchema.optional().describe('Restore only these schemas/tables (pg_custom, pg_tar) or paths (files).'),
    targetSchema: z.string().min(1).max(63).nullable().optional().describe('Partial database restores: land the selected tables in this new schema.'),
    verify: z.boolean().default(true).describe('false skips verification (the record says `skipped`).'),
  })
  .strict()
  .meta({ id: 'RestoreStart' })
export type StartRestore = z.infer<typeof startRestoreSchema>

export const idempotencyHeadersSchema = z.object({
  'idempotency-key': z.string().min(1).max(255).optional().describe('Repeat a start safely: the same key and body return the same restore.'),
})

export const restorePageSchema = pageSchema(restoreSchema, 'RestorePage')
/** `dryRun=true|false` on every restore list. */
export const restoreListFilterSchema = paginationQuerySchema.extend({
  dryRun: booleanQuerySchema.optional().describe('true: only previews; false: only real restores.'),
})
export const listRestoresQuerySchema = restoreListFilterSchema.extend({
  status: restoreStatusSchema.optional(),
  planId: idSchema.optional(),
  backupId: idSchema.optional(),
})
export type ListRestoresQuery = z.infer<typeof listRestoresQuerySchema>
