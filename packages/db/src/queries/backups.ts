// Backup runs, as registered by the producer's integration. The destination is the plan's at
// registration time and is copied onto the row, so moving a plan later keeps old artifacts findable.
import type { Backup, BackupFormat, BackupManifest, BackupStatus, ListBackupsQuery, Page, UpdateBackup } from '@devpilot/contracts'
import { and, eq, gte, ilike, lte, or, sql } from 'drizzle-orm'
import { type Db, isoTimestamp } from '../client.js'
import { backups, plans } from '../schema.js'
import { afterCursor, newestFirst, toPage } from './pagination.js'

export interface NewBackup {
  workspaceId: string
  planId: string
  format: BackupFormat
  artifactKey: string
  status?: BackupStatus
  sizeBytes?: number | null
  sha256?: string | null
  snapshotLsn?: string | null
  /** Exact row counts the producer took inside the dump's snapshot (verification compares with them). */
  manifest?: BackupManifest | null
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
      manifest: input.manifest ?? null,
      startedAt: input.startedAt ?? (status === 'completed' ? sql`now()` : null),
      completedAt,
      ...(input.createdAt ? { createdAt: input.createdAt } : {}),
    })
    .returning({ id: backups.id, destinationId: backups.destinationId })
  if (!row) throw new Error('backup insert returned nothing')
  return row
}

const backupColumns = {
  id: backups.id,
  planId: backups.planId,
  planName: plans.name,
  destinationId: backups.destinationId,
  status: backups.status,
  format: backups.format,
  artifactKey: backups.artifactKey,
  sizeBytes: backups.sizeBytes,
  sha256: backups.sha256,
  snapshotLsn: backups.snapshotLsn,
  source: backups.source,
  manifest: backups.manifest,
  errorCode: backups.errorCode,
  errorMessage: backups.errorMessage,
  createdAt: backups.createdAt,
  startedAt: backups.startedAt,
  completedAt: backups.completedAt,
}
function selectBackups(db: Db) {
  return db.select(backupColumns).from(backups).innerJoin(plans, eq(plans.id, backups.planId))
}
type BackupRow = Awaited<ReturnType<typeof selectBackups>>[number]

function toBackup(row: BackupRow): Backup {
  const { errorCode, errorMessage, ...rest } = row
  return {
    ...rest,
    createdAt: isoTimestamp(row.createdAt),
    startedAt: isoTimestamp(row.startedAt),
    completedAt: isoTimestamp(row.completedAt),
    error: errorCode !== null ? { code: errorCode, message: errorMessage ?? '' } : null,
  }
}

/** `%`, `_` and `\` are literal in a search term. */
function likePattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

export async function listBackups(db: Db, params: { workspaceId: string } & ListBackupsQuery): Promise<Page<Backup>> {
  return toPage(await listBackupsQuery(db, params), params.limit, toBackup)
}

/** The history query itself (exported so a test can EXPLAIN it: it must walk an index, not sort). */
export function listBackupsQuery(db: Db, params: { workspaceId: string } & ListBackupsQuery) {
  return selectBackups(db)
    .where(
      and(
        eq(backups.workspaceId, params.workspaceId),
        params.planId ? eq(backups.planId, params.planId) : undefined,
        params.status ? eq(backups.status, params.status) : undefined,
        params.from ? gte(backups.createdAt, params.from) : undefined,
        params.to ? lte(backups.createdAt, params.to) : undefined,
        params.q ? or(ilike(plans.name, likePattern(params.q)), ilike(backups.artifactKey, likePattern(params.q))) : undefined,
        afterCursor(backups.createdAt, backups.id, params.cursor),
      ),
    )
    .orderBy(...newestFirst(backups.createdAt, backups.id))
    .limit(params.limit + 1)
}

export async function getBackup(db: Db, params: { workspaceId: string; id: string }): Promise<Backup | null> {
  const [row] = await selectBackups(db).where(and(eq(backups.workspaceId, params.workspaceId), eq(backups.id, params.id)))
  return row ? toBackup(row) : null
}

/**
 * Moves a backup along. Guarded on the status read by the caller, so two producers racing cannot
 * both win; null when the row is gone or its status changed meanwhile. Entering in_progress or a
 * terminal status stamps started_at / completed_at when the caller gave none.
 */
export async function updateBackup(
  db: Db,
  params: { workspaceId: string; id: string; expectedStatus: BackupStatus; patch: UpdateBackup },
): Promise<Backup | null> {
  const { patch } = params
  const status = patch.status
  const entersRun = status !== undefined && status !== 'pending'
  const entersEnd = status === 'completed' || status === 'failed' || status === 'cancelled'
  const updated = await db
    .update(backups)
    .set({
      status,
      sizeBytes: patch.sizeBytes,
      sha256: patch.sha256,
      startedAt:
        patch.startedAt !== undefined ? patch.startedAt : entersRun && status === 'in_progress' ? sql`coalesce(${backups.startedAt}, now())` : undefined,
      completedAt: patch.completedAt !== undefined ? patch.completedAt : entersEnd ? sql`coalesce(${backups.completedAt}, now())` : undefined,
      ...(patch.error === undefined ? {} : { errorCode: patch.error?.code ?? null, errorMessage: patch.error?.message ?? null }),
    })
    .where(and(eq(backups.workspaceId, params.workspaceId), eq(backups.id, params.id), eq(backups.status, params.expectedStatus)))
    .returning({ id: backups.id })
  if (updated.length === 0) return null
  return getBackup(db, { workspaceId: params.workspaceId, id: params.id })
}
