// What a running restore writes besides its status: the heartbeat with progress, stage and ETA
// (which also reads back whether a cancel was requested), the preflight checks as they complete,
// a dry run's preview, and the step into the swap. Every write is guarded by ownership
// (runner-predicates.ts): a fenced-off runner writes nothing and learns it from the result.
import type { PreflightCheck, RestorePreview, RestoreStage } from '@devpilot/contracts'
import { and, isNull, sql } from 'drizzle-orm'
import type { Db } from '../client.js'
import { restores } from '../schema.js'
import { type Ownership, ownedBy } from './runner-predicates.js'

export interface Heartbeat {
  bytesDone: number
  bytesTotal: number | null
  stage: RestoreStage
  etaSeconds: number | null
}

/** null when this runner no longer owns the restore; otherwise whether a cancel was requested. */
export async function recordRestoreHeartbeat(db: Db, params: Ownership & Heartbeat): Promise<{ cancelRequested: boolean } | null> {
  // Invariant: only the owning attempt writes progress; a fenced-off runner learns it here.
  const [row] = await db
    .update(restores)
    .set({
      bytesDone: params.bytesDone,
      bytesTotal: sql`COALESCE(${params.bytesTotal}::bigint, ${restores.bytesTotal})`,
      stage: params.stage,
      etaSeconds: params.etaSeconds,
      heartbeatAt: sql`now()`,
    })
    .where(ownedBy(params))
    .returning({ cancelRequestedAt: restores.cancelRequestedAt })
  return row ? { cancelRequested: row.cancelRequestedAt !== null } : null
}

export type SwapEntry = 'swap' | 'cancelled' | 'lost'

/**
 * Moves the restore to stage `swap` unless a cancel was requested first: the one point that
 * decides a cancel racing the swap. After it, a cancel request is stored but no longer obeyed.
 */
export async function enterSwapStage(db: Db, params: Ownership): Promise<SwapEntry> {
  // Invariant: the swap begins only for the owning attempt and only when no cancel came first.
  const [row] = await db
    .update(restores)
    .set({ stage: 'swap', etaSeconds: null, heartbeatAt: sql`now()` })
    .where(and(ownedBy(params), isNull(restores.cancelRequestedAt)))
    .returning({ id: restores.id })
  if (row) return 'swap'
  const [owned] = await db.select({ id: restores.id }).from(restores).where(ownedBy(params))
  return owned ? 'cancelled' : 'lost'
}

/** Replaces the stored preflight checks (written as each completes); false when no longer owned. */
export async function recordRestoreChecks(db: Db, params: Ownership & { checks: PreflightCheck[] }): Promise<boolean> {
  const rows = await db.update(restores).set({ checks: params.checks }).where(ownedBy(params)).returning({ id: restores.id })
  return rows.length === 1
}

/**
 * Adds one check to the stored list, or replaces the one of the same name, keeping every other
 * (a check a driver runs after the preflight, e.g. a partial restore's `include`); false when no
 * longer owned.
 */
export async function upsertRestoreCheck(db: Db, params: Ownership & { check: PreflightCheck }): Promise<boolean> {
  const rows = await db
    .update(restores)
    .set({
      checks: sql`coalesce((SELECT jsonb_agg(c) FROM jsonb_array_elements(${restores.checks}) c WHERE c->>'name' <> ${params.check.name}), '[]'::jsonb)
        || jsonb_build_array(${JSON.stringify(params.check)}::jsonb)`,
    })
    .where(ownedBy(params))
    .returning({ id: restores.id })
  return rows.length === 1
}

/** Stores a dry run's preview before it is completed; false when no longer owned. */
export async function recordRestorePreview(db: Db, params: Ownership & { preview: RestorePreview }): Promise<boolean> {
  const rows = await db.update(restores).set({ preview: params.preview }).where(ownedBy(params)).returning({ id: restores.id })
  return rows.length === 1
}
