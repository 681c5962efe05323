// pg-boss queues and their payloads. A job carries only the record id: the runner reads
// everything else from the database, so a job can never disagree with its record.
import { z } from 'zod'

export const RESTORE_QUEUE = 'restore'

export const restoreJobSchema = z.object({ restoreId: z.uuid() }).strict()
export type RestoreJob = z.infer<typeof restoreJobSchema>

/**
 * Webhook deliveries have their own queue, so a slow receiver never delays a restore. A job carries
 * only the outbox message id (webhook_messages): the body, the webhook and its secret are read at
 * each attempt.
 */
export const WEBHOOK_QUEUE = 'webhook'

export const webhookJobSchema = z.object({ messageId: z.uuid() }).strict()
export type WebhookJob = z.infer<typeof webhookJobSchema>

/** The channel the outbox trigger (migrations/0008_webhook_outbox.sql) notifies when it wrote messages. */
export const WEBHOOK_MESSAGES_CHANNEL = 'webhook_messages'

/** Validation of an uploaded backup (source `upload`): its own queue, so uploads never wait behind restores. */
export const BACKUP_VALIDATION_QUEUE = 'backup-validation'

export const backupValidationJobSchema = z.object({ backupId: z.uuid() }).strict()
export type BackupValidationJob = z.infer<typeof backupValidationJobSchema>

/** Drills started by a plan's drillSchedule (pg-boss cron, one schedule per plan: key = plan id). */
export const DRILL_QUEUE = 'drill'

/** A scheduled drill: the plan, and the admin who set the schedule (recorded as triggeredBy). */
export const drillJobSchema = z.object({ planId: z.uuid(), triggeredByUserId: z.uuid() }).strict()
export type DrillJob = z.infer<typeof drillJobSchema>
