// Every status change the runner makes, each a guarded conditional UPDATE: zero rows means another
// actor (a runner that took over, a sweeper) moved the restore first, which callers log and accept.
// Ownership and silence come from runner-predicates.ts.
import { RESTORE_STATUS, type RestoreErrorCode } from '@devpilot/contracts'
import { and, eq, sql } from 'drizzle-orm'
import type { Db } from '../client.js'
import { pgErrorCode } from '../pg-error.js'
import { restores } from '../schema.js'
import { hasStatus } from './restore-status.js'
import { type Ownership, ownedBy, silentAttempt } from './runner-predicates.js'

export type ClaimResult = { kind: 'claimed'; attempt: number } | { kind: 'lost' } | { kind: 'target_busy' }

/**
 * pending -> in_progress for this runner. `lost`: another actor moved it first. `target_busy`:
 * another restore of the same target is in progress (the partial unique index refused the row).
 */
export async function claimRestore(db: Db, params: { restoreId: string; runnerId: string }): Promise<ClaimResult> {
  try {
    // Invariant: only a pending restore can be claimed, so a duplicate delivery claims nothing.
    const [row] = await db
      .update(restores)
      .set({
        status: RESTORE_STATUS.in_progress,
        startedAt: sql`now()`,
        runnerId: params.runnerId,
        heartbeatAt: sql`now()`,
        attempt: sql`${restores.attempt} + 1`,
        bytesDone: 0,
      })
      .where(and(eq(restores.id, params.restoreId), hasStatus(RESTORE_STATUS.pending)))
      .returning({ attempt: restores.attempt })
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
  const [row] = await db
    .update(restores)
    .set({ runnerId: params.runnerId, heartbeatAt: sql`now()`, attempt: sql`${restores.attempt} + 1`, bytesDone: 0 })
    .where(silentAttempt(params))
    .returning({ attempt: restores.attempt })
  return row ?? null
}

/** Writes progress and the heartbeat; false when this runner no longer owns the restore. */
export async function recordRestoreProgress(db: Db, params: Ownership & { bytesDone: number; bytesTotal: number | null }): Promise<boolean> {
  // Invariant: only the owning attempt writes progress; a fenced-off runner learns it here.
  const rows = await db
    .update(restores)
    .set({ bytesDone: params.bytesDone, bytesTotal: sql`COALESCE(${params.bytesTotal}::bigint, ${restores.bytesTotal})`, heartbeatAt: sql`now()` })
    .where(ownedBy(params))
    .returning({ id: restores.id })
  return rows.length === 1
}

/** in_progress -> completed by the owning attempt; false when it no longer owns the restore. */
export async function completeRestore(db: Db, params: Ownership & { bytesDone: number }): Promise<boolean> {
  // Invariant: only the owning attempt of an in_progress restore completes it.
  const rows = await db
    .update(restores)
    .set({
      status: RESTORE_STATUS.completed,
      completedAt: sql`now()`,
      heartbeatAt: sql`now()`,
      bytesDone: params.bytesDone,
      bytesTotal: sql`COALESCE(${restores.bytesTotal}, ${params.bytesDone})`,
    })
    .where(ownedBy(params))
    .returning({ id: restores.id })
  return rows.length === 1
}

/** in_progress -> failed by the owning attempt; false when it no longer owns the restore. */
export async function failRestore(db: Db, params: Ownership & { code: RestoreErrorCode; message: string }): Promise<boolean> {
  // Invariant: only the owning attempt of an in_progress restore fails it.
  const rows = await db
    .update(restores)
    .set({ status: RESTORE_STATUS.failed, completedAt: sql`now()`, heartbeatAt: sql`now()`, errorCode: params.code, errorMessage: params.message })
    .where(ownedBy(params))
    .returning({ id: restores.id })
  return rows.length === 1
}

/** pending -> failed before any work started (e.g. the destination is gone); both times are set. */
export async function failPendingRestore(db: Db, params: { restoreId: string; runnerId: string; code: RestoreErrorCode; message: string }): Promise<boolean> {
  // Invariant: only a pending restore fails without starting; a claimed one is its runner's to finish.
  const rows = await db
    .update(restores)
    .set({
      status: RESTORE_STATUS.failed,
      startedAt: sql`now()`,
      completedAt: sql`now()`,
      runnerId: params.runnerId,
      errorCode: params.code,
      errorMessage: params.message,
    })
    .where(and(eq(restores.id, params.restoreId), hasStatus(RESTORE_STATUS.pending)))
    .returning({ id: restores.id })
  return rows.length === 1
}

/** in_progress -> failed(runner_lost) for a restore whose last attempt's runner went silent. */
export async function failLostRestore(db: Db, params: { restoreId: string; seenAttempt: number; lostAfterSeconds: number; message: string }): Promise<boolean> {
  // Invariant: only the attempt we saw, still silent past the bound, is declared lost.
  const rows = await db
    .update(restores)
    .set({ status: RESTORE_STATUS.failed, completedAt: sql`now()`, errorCode: 'runner_lost', errorMessage: params.message })
    .where(silentAttempt(params))
    .returning({ id: restores.id })
  return rows.length === 1
}

/** Records how far a point-in-time replay got; only the runner that owns the attempt may. */
export async function recordPointInTimeApplied(db: Db, params: Ownership & { appliedLsn: string | null; appliedCommitAt: string | null }): Promise<boolean> {
  // Guard: in_progress and owned by (runner_id, attempt); the columns are set once, before completion.
  const rows = await db
    .update(restores)
    .set({
      pitAppliedLsn: sql`${params.appliedLsn}::pg_lsn`,
      pitAppliedCommitAt: sql`${params.appliedCommitAt}::timestamptz`,
      heartbeatAt: sql`now()`,
    })
    .where(ownedBy(params))
    .returning({ id: restores.id })
  return rows.length === 1
}
