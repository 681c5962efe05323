// Creating a restore record: ONE transaction inserts the pending record and enqueues its pg-boss
// job, so a record never exists without its job nor a job without its record. Both start use
// cases (a backup, a point in time) end here once every check passed.
import { getRestore, insertPendingRestore, isUniqueViolation, type Principal } from '@devpilot/db'
import { enqueueRestoreJob } from '@devpilot/queue'
import type { AppDeps } from '../deps.js'
import { found } from '../not-found.js'
import { replay, type StartRestoreResult } from './restore-idempotency.js'
import type { EffectiveTarget } from './restore-target.js'

/**
 * Inserts the pending record and enqueues its job in ONE transaction. A concurrent duplicate
 * carrying the same Idempotency-Key loses on the unique index and is answered with the winner.
 */
export async function createRestore(
  deps: AppDeps,
  principal: Principal,
  params: {
    backupId: string
    planId: string
    target: EffectiveTarget
    overwrite: boolean
    idempotencyKey: string | null
    requestFingerprint: string | null
    pitTargetTime: string | null
    /** The body's `verify`: false records verification `skipped`. */
    verify: boolean
  },
): Promise<StartRestoreResult> {
  const { db, sql } = deps.database
  const { workspaceId } = principal
  const key = params.idempotencyKey
  const fingerprint = params.requestFingerprint
  let restoreId: string
  try {
    restoreId = await sql.begin(async (tx) => {
      const id = await insertPendingRestore(tx, {
        workspaceId,
        backupId: params.backupId,
        planId: params.planId,
        triggeredByUserId: principal.userId,
        ...params.target,
        overwrite: params.overwrite,
        idempotencyKey: key,
        requestFingerprint: fingerprint,
        pitTargetTime: params.pitTargetTime,
        verify: params.verify,
      })
      await enqueueRestoreJob(deps.boss, tx, { restoreId: id })
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
