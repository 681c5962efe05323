// pg-boss queues and their payloads. A job carries only the restore id: the runner reads
// everything else from the database, so a job can never disagree with its record.
import { z } from 'zod'

export const RESTORE_QUEUE = 'restore'

export const restoreJobSchema = z.object({ restoreId: z.uuid() }).strict()
export type RestoreJob = z.infer<typeof restoreJobSchema>

/** Drills started by a plan's drillSchedule (pg-boss cron, one schedule per plan: key = plan id). */
export const DRILL_QUEUE = 'drill'

/** A scheduled drill: the plan, and the admin who set the schedule (recorded as triggeredBy). */
export const drillJobSchema = z.object({ planId: z.uuid(), triggeredByUserId: z.uuid() }).strict()
export type DrillJob = z.infer<typeof drillJobSchema>
