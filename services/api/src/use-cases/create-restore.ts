// Creating a restore record: ONE transaction inserts the pending record and enqueues its pg-boss
// job, so a record never exists without its job nor a job without its record. Both start use
// cases (a backup, a point in time) end here once every check passed. The id is chosen here, so
// the job's insert is sent right behind the record's on the same connection (pipelined: one round
// trip for both instead of two); a failed record insert aborts the transaction and the job with it.
import { randomUUID } from 'node:crypto'
import type { RestoreInclude } from '@devpilot/contracts'
import { bindIdempotencyKey, getRestore, insertPendingRestore, isUniqueViolation, type Principal } from '@devpilot/db'
import { enqueueRestoreJob } from '@devpilot/queue'
import type { AppDeps } from '../deps.js'
import { found } from '../not-found.js'
import { replay, type StartRestoreResult } from './restore-idempotency.js'
import type { EffectiveTarget } from './restore-target.js'

/**
 * Inserts the pending record, binds its Idempotency-Key and enqueues its job in ONE transaction. A
 * concurrent duplicate carrying the same key loses on the key's primary key and is answered with
 * the winner.
 */
export async function createRestore(
  deps: AppDeps,
  principal: Principal,
  params: {
    backupId: string
    planId: string
    target: EffectiveTarget
    overwrite: boolean
    /** A preview: queued like a restore, never touches the target. */
    dryRun: boolean
    verify: boolean
    idempotencyKey: string | null
    requestFingerprint: string | null
    pitTargetTime: string | null
    /** A partial restore's selection (start-restore.ts checked it); absent for whole restores. */
    include?: RestoreInclude | null
    targetSchema?: string | null
  },
): Promise<StartRestoreResult> {
  const { db, sql } = deps.database
  const { workspaceId } = principal
  const key = params.idempotencyKey
  const fingerprint = params.requestFingerprint
  let restoreId: string
  try {
    restoreId = await sql.begin(async (tx) => {
      const id = randomUUID()
      const inserted = insertPendingRestore(tx, {
        id,
        workspaceId,
        backupId: params.backupId,
        planId: params.planId,
        triggeredByUserId: principal.userId,
        ...params.target,
        overwrite: params.overwrite,
        dryRun: params.dryRun,
        verify: params.verify,
        idempotencyKey: key,
        requestFingerprint: fingerprint,
        pitTargetTime: params.pitTargetTime,
        include: params.include ?? null,
        targetSchema: params.targetSchema ?? null,
      })
      // All awaited: the insert's error (e.g. a live Idempotency-Key) answers first.
      await Promise.all([
        inserted,
        key !== null && fingerprint !== null
          ? bindIdempotencyKey(tx, { workspaceId, key, restoreId: id, requestFingerprint: fingerprint, ttlSeconds: deps.config.IDEMPOTENCY_KEY_TTL_SECONDS })
          : null,
        enqueueRestoreJob(deps.boss, tx, { restoreId: id }),
      ])
      return id
    })
  } catch (error) {
    if (key !== null && fingerprint !== null && isUniqueViolation(error)) {
      const replayed = await replay(deps, workspaceId, key, fingerprint)
      if (replayed) return replayed
    }
    throw error
  }
  return { restore: found(await getRestore(db, { workspaceId, id: restoreId }), 'restore'), replayed: false }
}
