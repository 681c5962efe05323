// Starting a restore (POST /v1/backups/{id}/restores). Everything that can refuse the request is
// checked before any row exists: the backup must be completed, the effective target (request
// fields, else the plan's source) must resolve, fit the backup's kind and stay inside the allowed
// roots (restore-target.ts). Then createRestore writes the record and its job together.
//
// Idempotency-Key (restore-idempotency.ts): the fingerprint is a hash of the backup id and the body
// as sent. A concurrent duplicate loses on the unique index and is answered like a replay.
import { AppError, type StartRestore } from '@devpilot/contracts'
import { getBackup, type Principal } from '@devpilot/db'
import type { AppDeps } from '../deps.js'
import { found } from '../not-found.js'
import { createRestore } from './create-restore.js'
import { checkIdempotency, type StartRestoreResult } from './restore-idempotency.js'
import { resolveTarget } from './restore-target.js'

export async function startRestore(
  deps: AppDeps,
  principal: Principal,
  params: { backupId: string; body: StartRestore; idempotencyKey: string | undefined },
): Promise<StartRestoreResult> {
  const { db } = deps.database
  const { workspaceId } = principal
  const backup = found(await getBackup(db, { workspaceId, id: params.backupId }), 'backup')
  const { body } = params
  refuseUnbuilt(body)
  const idempotency = await checkIdempotency(deps, workspaceId, params.idempotencyKey, () => [
    backup.id,
    body.targetServerId ?? null,
    body.targetDatabase ?? null,
    body.targetPath ?? null,
    body.overwrite,
    // Only a restore that skips verification fingerprints differently, so keys stored before it stay valid.
    ...(body.verify ? [] : ['verify:false']),
  ])
  if (idempotency.replayed) return idempotency.replayed
  if (backup.status !== 'completed') {
    throw new AppError('backup_not_restorable', `Only completed backups can be restored; this one is ${backup.status}.`)
  }
  const target = await resolveTarget(deps, principal, backup.planId, body)
  return createRestore(deps, principal, {
    backupId: backup.id,
    planId: backup.planId,
    target,
    overwrite: body.overwrite,
    idempotencyKey: idempotency.key,
    requestFingerprint: idempotency.fingerprint,
    pitTargetTime: null,
    verify: body.verify,
  })
}

/**
 * Request fields the contract already carries but no runner acts on yet: refused, never ignored
 * (an ignored `include` would restore everything). Each feature removes its line when it lands.
 */
export function refuseUnbuilt(body: { dryRun?: boolean; include?: unknown; targetSchema?: string | null }): void {
  const unbuilt = [body.dryRun ? 'dryRun' : null, body.include !== undefined ? 'include' : null, body.targetSchema ? 'targetSchema' : null].filter(
    (f): f is string => f !== null,
  )
  if (unbuilt.length > 0) throw new AppError('validation_failed', `Not available yet: ${unbuilt.join(', ')}.`)
}
