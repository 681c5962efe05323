// Enumerations of the domain (DESIGN.md "Domain"). The database CHECK constraints, the API
// schemas and the runner all derive from these arrays; never spell a value out elsewhere.
import { z } from 'zod'

export const ROLES = ['viewer', 'operator', 'admin'] as const
export const roleSchema = z.enum(ROLES)
export type Role = (typeof ROLES)[number]

export const BACKUP_STATUSES = ['pending', 'in_progress', 'completed', 'failed', 'cancelled'] as const
export const backupStatusSchema = z.enum(BACKUP_STATUSES)
export type BackupStatus = (typeof BACKUP_STATUSES)[number]

export const RESTORE_STATUSES = ['pending', 'in_progress', 'completed', 'failed'] as const
export const restoreStatusSchema = z.enum(RESTORE_STATUSES)
export type RestoreStatus = (typeof RESTORE_STATUSES)[number]
/** The statuses by name (`RESTORE_STATUS.in_progress`), for code that means one of them: typo-proof, never restated. */
export const RESTORE_STATUS = restoreStatusSchema.enum

export const DATABASE_BACKUP_FORMATS = ['pg_custom', 'pg_tar', 'pg_plain', 'pg_plain_gz'] as const
export const FILE_BACKUP_FORMATS = ['tar', 'tar_gz'] as const
export const BACKUP_FORMATS = [...DATABASE_BACKUP_FORMATS, ...FILE_BACKUP_FORMATS] as const
export const backupFormatSchema = z.enum(BACKUP_FORMATS)
export type BackupFormat = (typeof BACKUP_FORMATS)[number]
export type DatabaseBackupFormat = (typeof DATABASE_BACKUP_FORMATS)[number]
export type FileBackupFormat = (typeof FILE_BACKUP_FORMATS)[number]

export const PLAN_TYPES = ['database', 'files'] as const
export const planTypeSchema = z.enum(PLAN_TYPES)
export type PlanType = (typeof PLAN_TYPES)[number]

// `manual`: backups come only from uploads (POST /v1/plans/{id}/uploads).
export const PLAN_MODES = ['scheduled', 'realtime', 'manual'] as const
export const planModeSchema = z.enum(PLAN_MODES)
export type PlanMode = (typeof PLAN_MODES)[number]

/** Where a backup came from: registered by the backup producer, or uploaded through the API. */
export const BACKUP_SOURCES = ['producer', 'upload'] as const
export const backupSourceSchema = z.enum(BACKUP_SOURCES)
export type BackupSource = (typeof BACKUP_SOURCES)[number]

/** What a running restore is doing (`progress.stage`); null while pending and once terminal. */
export const RESTORE_STAGES = ['preflight', 'restore', 'replay', 'verify', 'swap'] as const
export const restoreStageSchema = z.enum(RESTORE_STAGES)
export type RestoreStage = (typeof RESTORE_STAGES)[number]

export const CHECK_STATUSES = ['passed', 'warning', 'failed'] as const
export const checkStatusSchema = z.enum(CHECK_STATUSES)
export type CheckStatus = (typeof CHECK_STATUSES)[number]

export const WEBHOOK_EVENTS = ['restore.started', 'restore.completed', 'restore.failed', 'drill.completed', 'drill.failed'] as const
export const webhookEventSchema = z.enum(WEBHOOK_EVENTS)
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number]

export const DESTINATION_TYPES = ['s3', 'local'] as const
export const destinationTypeSchema = z.enum(DESTINATION_TYPES)
export type DestinationType = (typeof DESTINATION_TYPES)[number]

export const SERVER_ENGINES = ['postgresql'] as const
export const serverEngineSchema = z.enum(SERVER_ENGINES)
export type ServerEngine = (typeof SERVER_ENGINES)[number]

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const
export const sslModeSchema = z.enum(SSL_MODES)
export type SslMode = (typeof SSL_MODES)[number]

export const STREAM_COMPRESSIONS = ['none', 'gzip'] as const
export const streamCompressionSchema = z.enum(STREAM_COMPRESSIONS)
export type StreamCompression = (typeof STREAM_COMPRESSIONS)[number]

/** Which kind of plan a backup format belongs to. */
export function planTypeOfFormat(format: BackupFormat): PlanType {
  return (FILE_BACKUP_FORMATS as readonly string[]).includes(format) ? 'files' : 'database'
}

export function isFileBackupFormat(format: BackupFormat): format is FileBackupFormat {
  return planTypeOfFormat(format) === 'files'
}

export function isDatabaseBackupFormat(format: BackupFormat): format is DatabaseBackupFormat {
  return planTypeOfFormat(format) === 'database'
}
