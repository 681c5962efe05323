// The runner's side of a restore record: load everything a run needs, and every status change it
// makes, each a guarded conditional UPDATE. A job carries only the restore id, so these queries
// look a restore up by id and return its workspace id; ownership of a running restore is the pair
// (runner_id, attempt), which fences off a runner that was presumed lost and came back.
import { type BackupFormat, type DestinationType, RESTORE_QUEUE, type RestoreErrorCode, type RestoreStatus, type SslMode } from '@devpilot/contracts'
import { sql } from 'drizzle-orm'
import type { Db } from '../client.js'

export interface RestoreRun {
  id: string
  workspaceId: string
  /** Names the workspace's folder under the runner's roots (see contracts workspaceRoots). */
  workspaceSlug: string
  status: RestoreStatus
  attempt: number
  runnerId: string | null
  heartbeatAgeSeconds: number | null
  overwrite: boolean
  /** Point-in-time restores: the moment to replay up to (inclusive), as PostgreSQL's timestamptz text. */
  pitTargetTime: string | null
  target: { serverId: string | null; database: string | null; path: string | null }
  backup: { id: string; format: BackupFormat; artifactKey: string; sizeBytes: number | null; sha256: string | null; snapshotLsn: string | null }
  plan: { id: string; sourceServerId: string | null }
  destination: {
    id: string
    type: DestinationType
    enabled: boolean
    deleted: boolean
    bucket: string | null
    region: string | null
    endpoint: string | null
    prefix: string | null
    forcePathStyle: boolean | null
    accessKeyId: string | null
    secretAccessKeyCiphertext: string | null
    path: string | null
  }
  server: {
    id: string
    host: string
    port: number
    username: string
    passwordCiphertext: string | null
    maintenanceDatabase: string
    sslmode: SslMode
    deleted: boolean
  } | null
}

/** The destination columns of a run, selected from `destinations d` with the names below. */
const DESTINATION_SELECT = sql.raw(`d.id AS destination_id, d.type AS destination_type, d.enabled, d.deleted_at IS NOT NULL AS destination_deleted,
  d.bucket, d.region, d.endpoint, d.prefix, d.force_path_style, d.access_key_id, d.secret_access_key_ciphertext, d.path AS destination_path`)

interface DestinationColumns extends Record<string, unknown> {
  destination_id: string
  destination_type: DestinationType
  enabled: boolean
  destination_deleted: boolean
  bucket: string | null
  region: string | null
  endpoint: string | null
  prefix: string | null
  force_path_style: boolean | null
  access_key_id: string | null
  secret_access_key_ciphertext: string | null
  destination_path: string | null
}

function toRunDestination(row: DestinationColumns): RestoreRun['destination'] {
  return {
    id: row.destination_id,
    type: row.destination_type,
    enabled: row.enabled,
    deleted: row.destination_deleted,
    bucket: row.bucket,
    region: row.region,
    endpoint: row.endpoint,
    prefix: row.prefix,
    forcePathStyle: row.force_path_style,
    accessKeyId: row.access_key_id,
    secretAccessKeyCiphertext: row.secret_access_key_ciphertext,
    path: row.destination_path,
  }
}

interface RestoreRunRow extends DestinationColumns {
  id: string
  workspace_id: string
  workspace_slug: string
  status: RestoreStatus
  attempt: number
  runner_id: string | null
  heartbeat_age: string | null
  overwrite: boolean
  pit_target_time: string | null
  target_server_id: string | null
  target_database: string | null
  target_path: string | null
  backup_id: string
  format: BackupFormat
  artifact_key: string
  size_bytes: string | null
  sha256: string | null
  snapshot_lsn: string | null
  plan_id: string
  source_server_id: string | null
  server_id: string | null
  host: string | null
  port: number | null
  username: string | null
  password_ciphertext: string | null
  maintenance_database: string | null
  sslmode: SslMode | null
  server_deleted: boolean | null
}

/** Everything a run needs about one restore, or null when there is no such restore. */
export async function loadRestoreRun(db: Db, restoreId: string): Promise<RestoreRun | null> {
  const rows = await db.execute<RestoreRunRow>(sql`
    SELECT r.id, r.workspace_id, w.slug AS workspace_slug, r.status, r.attempt, r.runner_id,
           extract(epoch FROM now() - r.heartbeat_at)::text AS heartbeat_age,
           r.overwrite, r.pit_target_time::text AS pit_target_time, r.target_server_id, r.target_database, r.target_path,
           b.id AS backup_id, b.format, b.artifact_key, b.size_bytes::text AS size_bytes, b.sha256, b.snapshot_lsn::text AS snapshot_lsn,
           p.id AS plan_id, p.source_server_id,
           ${DESTINATION_SELECT},
           s.id AS server_id, s.host, s.port, s.username, s.password_ciphertext, s.maintenance_database, s.sslmode,
           s.deleted_at IS NOT NULL AS server_deleted
    FROM restores r
    JOIN workspaces w ON w.id = r.workspace_id
    JOIN backups b ON b.id = r.backup_id AND b.workspace_id = r.workspace_id
    JOIN plans p ON p.id = r.plan_id AND p.workspace_id = r.workspace_id
    JOIN destinations d ON d.id = b.destination_id AND d.workspace_id = r.workspace_id
    LEFT JOIN servers s ON s.id = r.target_server_id AND s.workspace_id = r.workspace_id
    WHERE r.id = ${restoreId}`)
  const row = rows[0]
  if (!row) return null
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    workspaceSlug: row.workspace_slug,
    status: row.status,
    attempt: row.attempt,
    runnerId: row.runner_id,
    heartbeatAgeSeconds: row.heartbeat_age === null ? null : Number(row.heartbeat_age),
    overwrite: row.overwrite,
    pitTargetTime: row.pit_target_time,
    target: { serverId: row.target_server_id, database: row.target_database, path: row.target_path },
    backup: {
      id: row.backup_id,
      format: row.format,
      artifactKey: row.artifact_key,
      sizeBytes: row.size_bytes === null ? null : Number(row.size_bytes),
      sha256: row.sha256,
      snapshotLsn: row.snapshot_lsn,
    },
    plan: { id: row.plan_id, sourceServerId: row.source_server_id },
    destination: toRunDestination(row),
    server:
      row.server_id === null || row.host === null || row.port === null || row.username === null || row.maintenance_database === null || row.sslmode === null
        ? null
        : {
            id: row.server_id,
            host: row.host,
            port: row.port,
            username: row.username,
            passwordCiphertext: row.password_ciphertext,
            maintenanceDatabase: row.maintenance_database,
            sslmode: row.sslmode,
            deleted: row.server_deleted === true,
          },
  }
}

/** The SQLSTATE of a PostgreSQL error, also when drizzle wrapped it. */
export function pgErrorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code
  }
  return undefined
}

export type ClaimResult = { kind: 'claimed'; attempt: number } | { kind: 'lost' } | { kind: 'target_busy' }

/**
 * pending -> in_progress for this runner. `lost`: another actor moved it first. `target_busy`:
 * another restore of the same target is in progress (the partial unique index refused the row).
 */
export async function claimRestore(db: Db, params: { restoreId: string; runnerId: string }): Promise<ClaimResult> {
  try {
    // Invariant: only a pending restore can be claimed, so a duplicate delivery claims nothing.
    const rows = await db.execute<{ attempt: number }>(sql`
      UPDATE restores SET status = 'in_progress', started_at = now(), runner_id = ${params.runnerId}, heartbeat_at = now(),
             attempt = attempt + 1, bytes_done = 0
      WHERE id = ${params.restoreId} AND status = 'pending'
      RETURNING attempt`)
    const row = rows[0]
    return row ? { kind: 'claimed', attempt: row.attempt } : { kind: 'lost' }
  } catch (error) {
    if (pgErrorCode(error) === '23505') return { kind: 'target_busy' }
    throw error
  }
}

/**
 * Takes over an in_progress restore whose runner stopped sending heartbeats: a new attempt by this
 * runner, from scratch. Null when the runner came back or another runner took it over first.
 */
export async function takeOverRestore(
  db: Db,
  params: { restoreId: string; runnerId: string; seenAttempt: number; lostAfterSeconds: number },
): Promise<{ attempt: number } | null> {
  // Invariant: only the attempt we saw, and only once its heartbeat is stale, can be taken over.
  const rows = await db.execute<{ attempt: number }>(sql`
    UPDATE restores SET runner_id = ${params.runnerId}, heartbeat_at = now(), attempt = attempt + 1, bytes_done = 0
    WHERE id = ${params.restoreId} AND status = 'in_progress' AND attempt = ${params.seenAttempt}
      AND (heartbeat_at IS NULL OR heartbeat_at < now() - make_interval(secs => ${params.lostAfterSeconds}))
    RETURNING attempt`)
  return rows[0] ?? null
}

export interface Ownership {
  restoreId: string
  runnerId: string
  attempt: number
}

/** Writes progress and the heartbeat; false when this runner no longer owns the restore. */
export async function recordRestoreProgress(db: Db, params: Ownership & { bytesDone: number; bytesTotal: number | null }): Promise<boolean> {
  // Invariant: only the owning attempt writes progress; a fenced-off runner learns it here.
  const rows = await db.execute(sql`
    UPDATE restores SET bytes_done = ${params.bytesDone}, bytes_total = COALESCE(${params.bytesTotal}::bigint, bytes_total), heartbeat_at = now()
    WHERE id = ${params.restoreId} AND status = 'in_progress' AND runner_id = ${params.runnerId} AND attempt = ${params.attempt}
    RETURNING id`)
  return rows.length === 1
}

/** in_progress -> completed by the owning attempt; false when it no longer owns the restore. */
export async function completeRestore(db: Db, params: Ownership & { bytesDone: number }): Promise<boolean> {
  // Invariant: only the owning attempt of an in_progress restore completes it.
  const rows = await db.execute(sql`
    UPDATE restores SET status = 'completed', completed_at = now(), heartbeat_at = now(), bytes_done = ${params.bytesDone},
           bytes_total = COALESCE(bytes_total, ${params.bytesDone})
    WHERE id = ${params.restoreId} AND status = 'in_progress' AND runner_id = ${params.runnerId} AND attempt = ${params.attempt}
    RETURNING id`)
  return rows.length === 1
}

/** in_progress -> failed by the owning attempt; false when it no longer owns the restore. */
export async function failRestore(db: Db, params: Ownership & { code: RestoreErrorCode; message: string }): Promise<boolean> {
  // Invariant: only the owning attempt of an in_progress restore fails it.
  const rows = await db.execute(sql`
    UPDATE restores SET status = 'failed', completed_at = now(), heartbeat_at = now(), error_code = ${params.code}, error_message = ${params.message}
    WHERE id = ${params.restoreId} AND status = 'in_progress' AND runner_id = ${params.runnerId} AND attempt = ${params.attempt}
    RETURNING id`)
  return rows.length === 1
}

/** pending -> failed before any work started (e.g. the destination is gone); both times are set. */
export async function failPendingRestore(db: Db, params: { restoreId: string; runnerId: string; code: RestoreErrorCode; message: string }): Promise<boolean> {
  // Invariant: only a pending restore fails without starting; a claimed one is its runner's to finish.
  const rows = await db.execute(sql`
    UPDATE restores SET status = 'failed', started_at = now(), completed_at = now(), runner_id = ${params.runnerId},
           error_code = ${params.code}, error_message = ${params.message}
    WHERE id = ${params.restoreId} AND status = 'pending'
    RETURNING id`)
  return rows.length === 1
}

export interface StaleRestore {
  id: string
  attempt: number
  runnerId: string | null
  targetServerId: string | null
  targetDatabase: string | null
  targetPath: string | null
}

/** in_progress restores whose runner has been silent for longer than lostAfterSeconds. */
export async function findStaleRestores(db: Db, params: { lostAfterSeconds: number; limit: number }): Promise<StaleRestore[]> {
  const rows = await db.execute<{
    id: string
    attempt: number
    runner_id: string | null
    target_server_id: string | null
    target_database: string | null
    target_path: string | null
  }>(sql`
    SELECT id, attempt, runner_id, target_server_id, target_database, target_path
    FROM restores
    WHERE status = 'in_progress' AND (heartbeat_at IS NULL OR heartbeat_at < now() - make_interval(secs => ${params.lostAfterSeconds}))
    ORDER BY heartbeat_at NULLS FIRST
    LIMIT ${params.limit}`)
  return rows.map((r) => ({
    id: r.id,
    attempt: r.attempt,
    runnerId: r.runner_id,
    targetServerId: r.target_server_id,
    targetDatabase: r.target_database,
    targetPath: r.target_path,
  }))
}

/**
 * Pending restores older than `olderThanSeconds` that no live pg-boss job will pick up (the job's
 * retries ran out while the product database was down, or it was deleted): they would otherwise
 * wait in pending forever.
 */
export async function findOrphanedPendingRestores(db: Db, params: { olderThanSeconds: number; limit: number }): Promise<string[]> {
  const rows = await db.execute<{ id: string }>(sql`
    SELECT r.id FROM restores r
    WHERE r.status = 'pending' AND r.created_at < now() - make_interval(secs => ${params.olderThanSeconds})
      AND NOT EXISTS (
        SELECT 1 FROM pgboss.job j
        WHERE j.name = ${RESTORE_QUEUE} AND j.data->>'restoreId' = r.id::text AND j.state IN ('created', 'retry', 'active'))
    ORDER BY r.created_at
    LIMIT ${params.limit}`)
  return rows.map((r) => r.id)
}

/** in_progress -> failed(runner_lost) for a restore whose last attempt's runner went silent. */
export async function failLostRestore(db: Db, params: { restoreId: string; seenAttempt: number; lostAfterSeconds: number; message: string }): Promise<boolean> {
  // Invariant: only the attempt we saw, still silent past the bound, is declared lost.
  const rows = await db.execute(sql`
    UPDATE restores SET status = 'failed', completed_at = now(), error_code = 'runner_lost', error_message = ${params.message}
    WHERE id = ${params.restoreId} AND status = 'in_progress' AND attempt = ${params.seenAttempt}
      AND (heartbeat_at IS NULL OR heartbeat_at < now() - make_interval(secs => ${params.lostAfterSeconds}))
    RETURNING id`)
  return rows.length === 1
}

/** The oldest pending restore of the same target as `restoreId` (to wake it when the target frees up). */
export async function nextPendingRestoreForTarget(db: Db, restoreId: string): Promise<string | null> {
  const rows = await db.execute<{ id: string }>(sql`
    SELECT n.id FROM restores r
    JOIN restores n ON n.status = 'pending' AND n.id <> r.id
      AND ((r.target_path IS NOT NULL AND n.target_path = r.target_path)
        OR (r.target_path IS NULL AND n.target_server_id = r.target_server_id AND n.target_database = r.target_database))
    WHERE r.id = ${restoreId}
    ORDER BY n.created_at, n.id
    LIMIT 1`)
  return rows[0]?.id ?? null
}

/** Records how far a point-in-time replay got; only the runner that owns the attempt may. */
export async function recordPointInTimeApplied(db: Db, params: Ownership & { appliedLsn: string | null; appliedCommitAt: string | null }): Promise<boolean> {
  // Guard: in_progress and owned by (runner_id, attempt); the columns are set once, before completion.
  const rows = await db.execute(sql`
    UPDATE restores SET pit_applied_lsn = ${params.appliedLsn}::pg_lsn, pit_applied_commit_at = ${params.appliedCommitAt}::timestamptz, heartbeat_at = now()
    WHERE id = ${params.restoreId} AND status = 'in_progress' AND runner_id = ${params.runnerId} AND attempt = ${params.attempt}
    RETURNING id`)
  return rows.length === 1
}

/** A destination row in the shape a run reads it, for artifacts that are not the backup's (stream segments). */
export async function loadRunDestination(db: Db, params: { workspaceId: string; destinationId: string }): Promise<RestoreRun['destination'] | null> {
  const rows = await db.execute<DestinationColumns>(sql`
    SELECT ${DESTINATION_SELECT} FROM destinations d WHERE d.id = ${params.destinationId} AND d.workspace_id = ${params.workspaceId}`)
  const row = rows[0]
  return row ? toRunDestination(row) : null
}
