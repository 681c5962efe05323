// Idempotency-Key for the use cases that start a restore. The key is scoped to the workspace; the
// request fingerprint is a hash of what the request asks for. Same key + same fingerprint returns
// the first restore (replayed), another fingerprint is idempotency_conflict. A key expires
// IDEMPOTENCY_KEY_TTL_SECONDS after the restore it started; then it starts a new restore.
import { createHash } from 'node:crypto'
import { AppError, type Restore } from '@devpilot/contracts'
import { findRestoreByIdempotencyKey } from '@devpilot/db'
import type { AppDeps } from '../deps.js'

export interface StartRestoreResult {
  restore: Restore
  replayed: boolean
}

export interface RestoreIdempotency {
  key: string | null
  fingerprint: string | null
}

/** sha256 of the request's canonical parts, in a fixed order. */
export function requestFingerprint(canonical: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex')
}

/** The restore this key already produced, or null; idempotency_conflict when it was for another request. */
export async function replay(deps: AppDeps, workspaceId: string, key: string, fingerprint: string): Promise<StartRestoreResult | null> {
  const existing = await findRestoreByIdempotencyKey(deps.database.db, {
    workspaceId,
    idempotencyKey: key,
    ttlSeconds: deps.config.IDEMPOTENCY_KEY_TTL_SECONDS,
  })
  if (!existing) return null
  if (existing.requestFingerprint !== fingerprint) {
    throw new AppError('idempotency_conflict', 'This Idempotency-Key was already used with a different request; use a new key for a different restore.')
  }
  return { restore: existing.restore, replayed: true }
}

/** The request's key and fingerprint (null without a key), and the earlier restore when this is a replay. */
export async function checkIdempotency(
  deps: AppDeps,
  workspaceId: string,
  idempotencyKey: string | undefined,
  canonical: () => readonly unknown[],
): Promise<RestoreIdempotency & { replayed: StartRestoreResult | null }> {
  const key = idempotencyKey ?? null
  if (key === null) return { key, fingerprint: null, replayed: null }
  const fingerprint = requestFingerprint(canonical())
  return { key, fingerprint, replayed: await replay(deps, workspaceId, key, fingerprint) }
}
