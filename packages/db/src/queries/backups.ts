// Backup runs, as registered by the producer's integration. The destination is the plan's at
// registration time and is copied onto the row, so moving a plan later keeps old artifacts findable.
import type { BackupFormat, BackupStatus } from '@devpilot/contracts'
import { sql } from 'drizzle-orm'
import type { Db } from '../client.js'
import { backups, plans } from '../schema.js'

export interface NewBackup {
  workspaceId: string
  planId: string
  format: BackupFormat
  artifactKey: string
  status?: BackupStatus
  sizeBytes?: number | null
  sha256?: string | null
  snapshotLsn?: string | null
  startedAt?: string | null
  completedAt?: string | null
  createdAt?: string
}

export async function insertBackup(db: Db, input: NewBackup) {
  const status = input.status ?? 'pending'
  const completedAt = input.completedAt ?? (status === 'completed' ? sql`now()` : null)
  const [row] = await db
    .insert(backups)
    .values({
      workspaceId: input.workspaceId,
      planId: input.planId,
      destinationId: sql`(SELECT ${plans.destinationId} FROM ${plans} WHERE ${plans.id} = ${input.planId} AND ${plans.workspaceId} = ${input.workspaceId})`,
      status,
      format: input.format,
      artifactKey: input.artifactKey,
      sizeBytes: input.sizeBytes ?? null,
      sha256: input.sha256 ?? null,
      snapshotLsn: input.snapshotLsn ?? null,
      startedAt: input.startedAt ?? (status === 'completed' ? sql`now()` : null),
      completedAt,
      ...(input.createdAt ? { createdAt: input.createdAt } : {}),
    })
    .returning({ id: backups.id, destinationId: backups.destinationId })
  if (!row) throw new Error('backup insert returned nothing')
  return row
}
