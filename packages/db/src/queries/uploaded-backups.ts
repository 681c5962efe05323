// Uploaded backups (source `upload`): the row the API inserts once the artifact is stored, and the
// runner's validation of it. A validation moves the backup pending -> in_progress -> completed |
// failed with guarded updates; only a completed backup is restorable, so a failed upload never is.
import type { BackupFormat, UploadValidationErrorCode } from '@devpilot/contracts'
import { and, eq, inArray, sql } from 'drizzle-orm'
import type postgres from 'postgres'
import type { Db } from '../client.js'
import { backups, destinations, workspaces } from '../schema.js'
import { type RunDestination, runDestinationColumns } from './restore-run.js'

export interface NewUploadedBackup {
  workspaceId: string
  planId: string
  /** The destination the artifact was written to (the plan's, read when the upload began). */
  destinationId: string
  format: BackupFormat
  artifactKey: string
  sizeBytes: number
  sha256: string
}

/** Inserts the pending upload inside the caller's transaction (its validation job is enqueued in the same one). */
export async function insertUploadedBackup(tx: postgres.TransactionSql, input: NewUploadedBackup): Promise<string> {
  const [row] = await tx<{ id: string }[]>`
    INSERT INTO backups (workspace_id, plan_id, destination_id, status, format, artifact_key, size_bytes, sha256, source)
    VALUES (${input.workspaceId}, ${input.planId}, ${input.destinationId}, 'pending', ${input.format}, ${input.artifactKey},
            ${input.sizeBytes}, ${input.sha256}, 'upload')
    RETURNING id`
  if (!row) throw new Error('backup insert returned nothing')
  return row.id
}

export interface BackupValidationRun {
  id: string
  workspaceId: string
  workspaceSlug: string
  status: 'pending' | 'in_progress' | 'completed' | 'failed' | 'cancelled'
  source: 'producer' | 'upload'
  format: BackupFormat
  artifactKey: string
  sizeBytes: number | null
  sha256: string | null
  destination: RunDestination
}

/** What the runner needs to validate one uploaded backup; null when the backup is gone. */
export async function loadBackupValidation(db: Db, params: { backupId: string }): Promise<BackupValidationRun | null> {
  const [row] = await db
    .select({
      id: backups.id,
      workspaceId: backups.workspaceId,
      workspaceSlug: workspaces.slug,
      status: backups.status,
      source: backups.source,
      format: backups.format,
      artifactKey: backups.artifactKey,
      sizeBytes: backups.sizeBytes,
      sha256: backups.sha256,
      destination: runDestinationColumns,
    })
    .from(backups)
    .innerJoin(workspaces, eq(workspaces.id, backups.workspaceId))
    .innerJoin(destinations, and(eq(destinations.id, backups.destinationId), eq(destinations.workspaceId, backups.workspaceId)))
    .where(eq(backups.id, params.backupId))
  return row ?? null
}

/**
 * Starts (or, after a lost runner, restarts) the validation: pending | in_progress -> in_progress.
 * Re-claiming in_progress is safe because a validation only reads the artifact. False when the
 * backup already ended or is not an upload.
 */
export async function claimBackupValidation(db: Db, params: { backupId: string }): Promise<boolean> {
  const rows = await db
    .update(backups)
    .set({ status: 'in_progress', startedAt: sql`coalesce(${backups.startedAt}, now())` })
    .where(and(eq(backups.id, params.backupId), eq(backups.source, 'upload'), inArray(backups.status, ['pending', 'in_progress'])))
    .returning({ id: backups.id })
  return rows.length > 0
}

/** in_progress -> completed | failed. False when another runner recorded the outcome first. */
export async function finishBackupValidation(
  db: Db,
  params: { backupId: string; error: { code: UploadValidationErrorCode; message: string } | null },
): Promise<boolean> {
  const rows = await db
    .update(backups)
    .set({
      status: params.error ? 'failed' : 'completed',
      completedAt: sql`now()`,
      errorCode: params.error?.code ?? null,
      errorMessage: params.error?.message ?? null,
    })
    .where(and(eq(backups.id, params.backupId), eq(backups.source, 'upload'), eq(backups.status, 'in_progress')))
    .returning({ id: backups.id })
  return rows.length > 0
}
