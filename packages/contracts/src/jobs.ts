// pg-boss queues and their payloads. A job carries only the restore id: the runner reads
// everything else from the database, so a job can never disagree with its record.
import { z } from 'zod'

export const RESTORE_QUEUE = 'restore'

export const restoreJobSchema = z.object({ restoreId: z.uuid() }).strict()
export type RestoreJob = z.infer<typeof restoreJobSchema>
