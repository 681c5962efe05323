// pg-boss queues and their payloads. A job carries only the record id: the runner reads
// everything else from the database, so a job can never disagree with its record.
import { z } from 'zod'

export const RESTORE_QUEUE = 'restore'

export const restoreJobSchema = z.object({ restoreId: z.uuid() }).strict()
export type RestoreJob = z.infer<typeof restoreJobSchema>

/** Validation of an uploaded backup (source `upload`): its own queue, so uploads never wait behind restores. */
export const BACKUP_VALIDATION_QUEUE = 'backup-validation'

export const backupValidationJobSchema = z.object({ backupId: z.uuid() }).strict()
export type BackupValidationJob = z.infer<typeof backupValidationJobSchema>
