// The change feed of restores: the database trigger of migrations/0001 runs
// pg_notify('restore_changed', {id, workspaceId, status}) on every insert and update of a restore
// (progress included). The channel and payload are named here once; packages/db listens on it and
// a test checks the migration notifies on this very channel.
import { z } from 'zod'

export const RESTORE_CHANGED_CHANNEL = 'restore_changed'

export const restoreChangeSchema = z.object({ id: z.string(), workspaceId: z.string(), status: z.string() })
export type RestoreChange = z.infer<typeof restoreChangeSchema>
