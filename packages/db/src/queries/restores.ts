// Restore records as the API reads and creates them. Creation takes a postgres.js transaction so
// the caller can enqueue the restore's pg-boss job in the same transaction (record and job commit
// together or not at all). Status changes belong to the runner, not to this file.
import { randomUUID } from 'node:crypto'
import { type ListRestoresQuery, type Page, RESTORE_STATUS, type Restore, type RestoreInclude, type RestoreStatus } from '@devpilot/contracts'
import { and, eq, gt, sql } from 'drizzle-orm'
import type postgres from 'postgres'
import { type Db, isoTimestamp } from '../client.js'
import { restoreIdempotencyKeys, restores, restoreTransitions, users } from '../schema.js'
import { afterCursor, newestFirst, toPage } from './pagination.js'

const restoreColumns = {
  id: restores.id,
  backupId: restores.backupId,
  planId: restores.planId,
  status: restores.status,
  targetServerId: restores.targetServerId,
  targetDatabase: restores.targetDatabase,
  targetPath: restores.targetPath,
  overwrite: restores.overwrite,
  triggeredByUserId: restores.triggeredByUserId,
  triggeredByEmail: users.email,
  createdAt: restores.createdAt,
  startedAt: restores.startedAt,
  completedAt: restores.completedAt,
  errorCode: restores.errorCode,
  errorMessage: restores.errorMessage,
  bytesDone: restores.bytesDone,
  bytesTotal: restores.bytesTotal,
  requestFingerprint: restores.requestFingerprint,
  pitTargetTime: restores.pitTargetTime,
  pitAppliedLsn: restores.pitAppliedLsn,
  pitAppliedCommitAt: restores.pitAppliedCommitAt,
  dryRun: restores.dryRun,
  drill: restores.drill,
  include: restores.include,
  targetSchema: restores.targetSchema,
  checks: restores.checks,
  preview: restores.preview,
  verification: restores.verification,
  stage: restores.stage,
  etaSeconds: restores.etaSeconds,
  cancelRequestedAt: restores.cancelRequestedAt,
}
function selectRestores(db: Db) {
  return db.select(restoreColumns).from(restores).innerJoin(users, eq(users.id, restores.triggeredByUserId))
}
type RestoreRow = Awaited<ReturnType<typeof selectRestores>>[number]

function running(status: RestoreStatus): boolean {
  return status === RESTORE_STATUS.in_progress
}

function toRestore(row: RestoreRow): Restore {
  return {
    id: row.id,
    backupId: row.backupId,
    planId: row.planId,
    status: row.status,
    target: { serverId: row.targetServerId, database: row.targetDatabase, path: row.targetPath, overwrite: row.overwrite },
    triggeredBy: { userId: row.triggeredByUserId, email: row.triggeredByEmail },
    createdAt: isoTimestamp(row.createdAt),
    startedAt: isoTimestamp(row.startedAt),
    completedAt: isoTimestamp(row.completedAt),
    error: row.errorCode !== null ? { code: row.errorCode, message: row.errorMessage ?? '' } : null,
    // The runner leaves its last stage in the row; a finished restore has none (DESIGN: null once terminal).
    progress: running(row.status)
      ? { bytesDone: row.bytesDone, bytesTotal: row.bytesTotal, stage: row.stage, etaSeconds: row.etaSeconds }
      : { bytesDone: row.bytesDone, bytesTotal: row.bytesTotal, stage: null, etaSeconds: null },
    // A point-in-time restore restores its backup (the base snapshot) and replays up to the target time.
    pointInTime:
      row.pitTargetTime !== null
        ? {
            targetTime: isoTimestamp(row.pitTargetTime),
            baseBackupId: row.backupId,
            appliedLsn: row.pitAppliedLsn,
            appliedCommitAt: isoTimestamp(row.pitAppliedCommitAt),
          }
        : null,
    dryRun: row.dryRun,
    drill: row.drill,
    checks: row.checks,
    preview: row.preview,
    verification: row.verification,
    cancelRequestedAt: isoTimestamp(row.cancelRequestedAt),
    include: row.include,
    targetSchema: row.targetSchema,
  }
}

export async function listRestores(db: Db, params: { workspaceId: string } & ListRestoresQuery): Promise<Page<Restore>> {
  return toPage(await listRestoresQuery(db, params), params.limit, toRestore)
}

/** The restore-list query itself (exported so a test can EXPLAIN it: it must walk an index, not sort). */
export function listRestoresQuery(db: Db, params: { workspaceId: string } & ListRestoresQuery) {
  return selectRestores(db)
    .where(
      and(
        eq(restores.workspaceId, params.workspaceId),
        params.status ? eq(restores.status, params.status) : undefined,
        params.planId ? eq(restores.planId, params.planId) : undefined,
        params.backupId ? eq(restores.backupId, params.backupId) : undefined,
        params.dryRun !== undefined ? eq(restores.dryRun, params.dryRun) : undefined,
        afterCursor(restores.createdAt, restores.id, params.cursor),
      ),
    )
    .orderBy(...newestFirst(restores.createdAt, restores.id))
    .limit(params.limit + 1)
}

export async function getRestore(db: Db, params: { workspaceId: string; id: string }): Promise<Restore | null> {
  const [row] = await selectRestores(db).where(and(eq(restores.workspaceId, params.workspaceId), eq(restores.id, params.id)))
  return row ? toRestore(row) : null
}

/**
 * The API's record of a restore row captured as jsonb (`to_jsonb(NEW)` in a trigger): the same
 * columns and mapping as getRestore, read from the snapshot instead of the table (a CTE named
 * `restores` shadows the table for this one query), so a webhook shows the restore as it was at
 * its event.
 */
export async function restoreFromSnapshot(db: Db, snapshot: unknown): Promise<Restore | null> {
  const atEvent = db.$with('restores', {}).as(sql`SELECT * FROM jsonb_populate_record(NULL::restores, ${JSON.stringify(snapshot)}::jsonb)`)
  const [row] = await db.with(atEvent).select(restoreColumns).from(restores).innerJoin(users, eq(users.id, restores.triggeredByUserId))
  return row ? toRestore(row) : null
}

/** The restore an unexpired Idempotency-Key names in this workspace, with the fingerprint of its request. */
export async function findRestoreByIdempotencyKey(
  db: Db,
  params: { workspaceId: string; idempotencyKey: string; ttlSeconds: number },
): Promise<{ restore: Restore; requestFingerprint: string | null } | null> {
  const [row] = await selectRestores(db)
    .innerJoin(restoreIdempotencyKeys, eq(restoreIdempotencyKeys.restoreId, restores.id))
    .where(
      and(
        eq(restoreIdempotencyKeys.workspaceId, params.workspaceId),
        eq(restoreIdempotencyKeys.key, params.idempotencyKey),
        gt(restoreIdempotencyKeys.createdAt, sql`now() - make_interval(secs => ${params.ttlSeconds})`),
      ),
    )
  return row ? { restore: toRestore(row), requestFingerprint: row.requestFingerprint } : null
}

/**
 * Binds an Idempotency-Key to a new restore inside the caller's transaction (postgres.js, see
 * insertPendingRestore). An expired binding of the key is released first; a live one makes the
 * insert fail with a unique violation, which the caller answers as a replay.
 */
export async function bindIdempotencyKey(
  tx: postgres.TransactionSql,
  params: { workspaceId: string; key: string; restoreId: string; requestFingerprint: string; ttlSeconds: number },
): Promise<void> {
  await tx`
    DELETE FROM restore_idempotency_keys
    WHERE workspace_id = ${params.workspaceId} AND key = ${params.key} AND created_at <= now() - make_interval(secs => ${params.ttlSeconds})`
  await tx`
    INSERT INTO restore_idempotency_keys (workspace_id, key, restore_id, request_fingerprint)
    VALUES (${params.workspaceId}, ${params.key}, ${params.restoreId}, ${params.requestFingerprint})`
}

/** Drops expired Idempotency-Key bindings (at most `limit` per call); returns how many went. */
export async function deleteExpiredIdempotencyKeys(db: Db, params: { ttlSeconds: number; limit: number }): Promise<number> {
  const rows = await db.execute<{ key: string }>(sql`
    DELETE FROM restore_idempotency_keys WHERE (workspace_id, key) IN (
      SELECT workspace_id, key FROM restore_idempotency_keys
      WHERE created_at <= now() - make_interval(secs => ${params.ttlSeconds}) ORDER BY created_at LIMIT ${params.limit})
    RETURNING key`)
  return rows.length
}

export interface NewRestore {
  /** The id, when the caller needs it before the insert answers (to enqueue the job beside it); else generated. */
  id?: string
  workspaceId: string
  backupId: string
  planId: string
  triggeredByUserId: string
  targetServerId: string | null
  targetDatabase: string | null
  targetPath: string | null
  overwrite: boolean
  idempotencyKey: string | null
  requestFingerprint: string | null
  /** Point-in-time restores only: the moment to replay up to (inclusive). */
  pitTargetTime?: string | null
  dryRun?: boolean
  drill?: boolean
  /** Drills only: keep the scratch target afterwards. */
  drillKeep?: boolean
  verify?: boolean
  include?: RestoreInclude | null
  targetSchema?: string | null
}

/**
 * Inserts a pending restore inside the caller's transaction; returns its id. Exception to the
 * drizzle idiom of this package: the transaction is postgres.js's, because pg-boss enqueues the
 * restore's job into the same transaction through it (packages/queue enqueueRestoreJob), and a
 * drizzle transaction does not expose its connection to do that.
 */
export async function insertPendingRestore(tx: postgres.TransactionSql, input: NewRestore): Promise<string> {
  // `include` goes in as JSON text cast to jsonb: this client has no json serializer registered, so tx.json() threw.
  const [row] = await tx<{ id: string }[]>`
    INSERT INTO restores (id, workspace_id, backup_id, plan_id, status, triggered_by_user_id, target_server_id, target_database, target_path,
                          overwrite, idempotency_key, request_fingerprint, pit_target_time, dry_run, drill, drill_keep, verify, include, target_schema)
    VALUES (${input.id ?? randomUUID()}, ${input.workspaceId}, ${input.backupId}, ${input.planId}, ${RESTORE_STATUS.pending}, ${input.triggeredByUserId}, ${input.targetServerId},
            ${input.targetDatabase}, ${input.targetPath}, ${input.overwrite}, ${input.idempotencyKey}, ${input.requestFingerprint},
            ${input.pitTargetTime ?? null}, ${input.dryRun ?? false}, ${input.drill ?? false}, ${input.drillKeep ?? false}, ${input.verify ?? true},
            ${input.include ? JSON.stringify(input.include) : null}::jsonb, ${input.targetSchema ?? null})
    RETURNING id`
  if (!row) throw new Error('restore insert returned nothing')
  return row.id
}

/** The statuses a restore went through, in order, from its audit trail (restore_transitions). */
export async function restoreStatusPath(db: Db, params: { workspaceId: string; restoreId: string }): Promise<RestoreStatus[]> {
  const rows = await db
    .select({ status: restoreTransitions.toStatus })
    .from(restoreTransitions)
    .innerJoin(restores, eq(restores.id, restoreTransitions.restoreId))
    .where(and(eq(restores.workspaceId, params.workspaceId), eq(restoreTransitions.restoreId, params.restoreId)))
    .orderBy(restoreTransitions.id)
  return rows.map((r) => r.status)
}
