// Creates restore records the way the API does: the pending row and its pg-boss job in one
// postgres.js transaction, so a test's restore is picked up exactly like a user's.
import { enqueueRestoreJob } from '@devpilot/queue'
import type { PgBoss } from 'pg-boss'
import type postgres from 'postgres'

export interface NewTestRestore {
  workspaceId: string
  backupId: string
  planId: string
  triggeredByUserId: string
  targetServerId?: string | null
  targetDatabase?: string | null
  targetPath?: string | null
  overwrite?: boolean
  /** Point-in-time restores: the moment to replay up to (the backup is the base snapshot). */
  pitTargetTime?: string | null
  /** A preview: checks and change list only. */
  dryRun?: boolean
  /** Partial restores: the selection and, for databases, the new schema. */
  include?: { schemas?: string[]; tables?: string[]; paths?: string[] } | null
  targetSchema?: string | null
  /** The body's `verify` (default true). */
  verify?: boolean
}

export async function createRestoreWithJob(sql: postgres.Sql, boss: PgBoss, restore: NewTestRestore): Promise<{ restoreId: string; jobId: string }> {
  return sql.begin(async (tx) => {
    const [row] = await tx<{ id: string }[]>`
      INSERT INTO restores (workspace_id, backup_id, plan_id, target_server_id, target_database, target_path, overwrite, triggered_by_user_id, pit_target_time,
                            dry_run, include, target_schema, verify)
      VALUES (${restore.workspaceId}, ${restore.backupId}, ${restore.planId}, ${restore.targetServerId ?? null}, ${restore.targetDatabase ?? null},
              ${restore.targetPath ?? null}, ${restore.overwrite ?? false}, ${restore.triggeredByUserId}, ${restore.pitTargetTime ?? null}, ${restore.dryRun ?? false},
              ${restore.include ? JSON.stringify(restore.include) : null}::jsonb, ${restore.targetSchema ?? null}, ${restore.verify ?? true})
      RETURNING id`
    if (!row) throw new Error('restore insert returned nothing')
    const jobId = await enqueueRestoreJob(boss, tx, { restoreId: row.id })
    return { restoreId: row.id, jobId }
  })
}
