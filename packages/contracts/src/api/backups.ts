// Backup runs: registered and moved along by the backup producer's integration, listed as the
// backup history, and shown in detail with their plan, destination and restore history.
import { z } from 'zod'
import { backupFormatSchema, backupSourceSchema, backupStatusSchema } from '../enums.js'
import { idSchema, pageSchema, paginationQuerySchema, timestampSchema } from './common.js'
import { destinationSchema } from './destinations.js'
import { planSchema } from './plans.js'
import { restorePageSchema } from './restores.js'

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters')
const lsn = z.string().regex(/^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/, 'must be a PostgreSQL LSN like 0/1924858')

export const backupErrorSchema = z.object({ code: z.string().min(1).max(100), message: z.string().min(1).max(4000) }).meta({ id: 'BackupError' })

/** Exact row counts the producer took inside the dump's snapshot; verification compares the restore with them. */
export const backupManifestSchema = z
  .object({
    tables: z
      .array(
        z
          .object({ schema: z.string().min(1).max(63), name: z.string().min(1).max(63), rows: z.number().int().min(0) })
          .strict()
          .meta({ id: 'BackupManifestTable' }),
      )
      .max(100_000),
  })
  .strict()
  .meta({ id: 'BackupManifest' })
export type BackupManifest = z.infer<typeof backupManifestSchema>

export const backupSchema = z
  .object({
    id: idSchema,
    planId: idSchema,
    planName: z.string(),
    destinationId: idSchema,
    status: backupStatusSchema,
    format: backupFormatSchema,
    artifactKey: z.string(),
    sizeBytes: z.number().int().nullable(),
    sha256: z.string().nullable(),
    snapshotLsn: z.string().nullable().describe('Set on base snapshots of real-time plans; null otherwise.'),
    createdAt: timestampSchema,
    startedAt: timestampSchema.nullable(),
    completedAt: timestampSchema.nullable(),
    error: backupErrorSchema.nullable(),
    source: backupSourceSchema.describe('producer: registered by the backup producer; upload: uploaded through POST /v1/plans/{id}/uploads.'),
    manifest: backupManifestSchema.nullable(),
  })
  .meta({ id: 'Backup' })
export type Backup = z.infer<typeof backupSchema>

export const backupDetailSchema = backupSchema
  .extend({
    plan: planSchema,
    destination: destinationSchema,
    restores: restorePageSchema.describe('First page of its restore history, newest first; continue with GET /v1/backups/{id}/restores.'),
  })
  .meta({ id: 'BackupDetail' })
export type BackupDetail = z.infer<typeof backupDetailSchema>

export const createBackupSchema = z
  .object({
    planId: idSchema,
    format: backupFormatSchema,
    artifactKey: z.string().min(1).max(1024),
    status: backupStatusSchema.default('pending'),
    sizeBytes: z.number().int().min(0).nullable().optional(),
    sha256: sha256.nullable().optional(),
    snapshotLsn: lsn.nullable().optional(),
    startedAt: timestampSchema.nullable().optional(),
    completedAt: timestampSchema.nullable().optional(),
    manifest: backupManifestSchema.nullable().optional(),
  })
  .strict()
  .meta({ id: 'BackupCreate' })
export type CreateBackup = z.infer<typeof createBackupSchema>

export const updateBackupSchema = z
  .object({
    status: backupStatusSchema.optional(),
    startedAt: timestampSchema.nullable().optional(),
    completedAt: timestampSchema.nullable().optional(),
    sizeBytes: z.number().int().min(0).nullable().optional(),
    sha256: sha256.nullable().optional(),
    error: backupErrorSchema.nullable().optional(),
  })
  .strict()
  .meta({ id: 'BackupUpdate' })
export type UpdateBackup = z.infer<typeof updateBackupSchema>

export const backupPageSchema = pageSchema(backupSchema, 'BackupPage')
export const listBackupsQuerySchema = paginationQuerySchema.extend({
  planId: idSchema.optional(),
  status: backupStatusSchema.optional(),
  from: timestampSchema.optional().describe('Only backups created at or after this time.'),
  to: timestampSchema.optional().describe('Only backups created at or before this time.'),
  q: z.string().trim().min(1).max(200).optional().describe('Case-insensitive substring of the plan name or the artifact key.'),
})
export type ListBackupsQuery = z.infer<typeof listBackupsQuerySchema>

/** Backup statuses a backup may move to from each status; terminal ones stay (fields may still be corrected). */
export const BACKUP_TRANSITIONS = {
  pending: ['pending', 'in_progress', 'completed', 'failed', 'cancelled'],
  in_progress: ['in_progress', 'completed', 'failed', 'cancelled'],
  completed: ['completed'],
  failed: ['failed'],
  cancelled: ['cancelled'],
} as const
