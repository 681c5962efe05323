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
import { checkPartialSelection } from './restore-include.js'
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
  const idempotency = await checkIdempotency(deps, workspaceId, params.idempotencyKey, () => [
    backup.id,
    body.targetServerId ?? null,
    body.targetDatabase ?? null,
    body.targetPath ?? null,
    body.overwrite,
    // Every request field that changes what runs: a preview and a restore are different requests.
    body.dryRun,
    body.verify,
    body.include ?? null,
    body.targetSchema ?? null,
  ])
  if (idempotency.replayed) return idempotency.replayed
  if (backup.status !== 'completed') {
    throw new AppError('backup_not_restorable', `Only completed backups can be restored; this one is ${backup.status}.`)
  }
  const target = await resolveTarget(deps, principal, backup.planId, body)
  const selection = checkPartialSelection(body, target.targetPath === null ? 'database' : 'files', backup.format)
  return createRestore(deps, principal, {
    ...selection,
    backupId: backup.id,
    planId: backup.planId,
    target,
    overwrite: body.overwrite,
    dryRun: body.dryRun,
    verify: body.verify,
    idempotencyKey: idempotency.key,
    requestFingerprint: idempotency.fingerprint,
    pitTargetTime: null,
  })
}
