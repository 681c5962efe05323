// Starting a restore (POST /v1/backups/{id}/restores). Everything that can refuse the request is
// checked before any row exists: the backup must be completed, the effective target (request
// fields, else the plan's source) must resolve, fit the backup's kind and stay inside the allowed
// roots. Then ONE transaction inserts the pending record and enqueues its pg-boss job, so a record
// never exists without its job nor a job without its record.
//
// Idempotency-Key: the key is scoped to the workspace; the request fingerprint is a hash of the
// backup id and the body as sent. Same key + same fingerprint returns the first restore (replayed),
// another fingerprint is idempotency_conflict. A concurrent duplicate loses on the unique index and
// is answered like a replay.
import { createHash } from 'node:crypto'
import { AppError, type Restore, type StartRestore, workspaceRoots } from '@devpilot/contracts'
import { findRestoreByIdempotencyKey, getBackup, getPlan, getRestore, getServer, insertPendingRestore, type Principal } from '@devpilot/db'
import { enqueueRestoreJob } from '@devpilot/queue'
import type { AppDeps } from '../deps.js'
import { fieldError } from '../field-error.js'
import { found } from '../not-found.js'
import { requireUnderRoots } from '../path-roots.js'

export interface StartRestoreResult {
  restore: Restore
  replayed: boolean
}

interface EffectiveTarget {
  targetServerId: string | null
  targetDatabase: string | null
  targetPath: string | null
}

export function requestFingerprint(backupId: string, body: StartRestore): string {
  const canonical = JSON.stringify([backupId, body.targetServerId ?? null, body.targetDatabase ?? null, body.targetPath ?? null, body.overwrite])
  return createHash('sha256').update(canonical).digest('hex')
}

export async function replay(deps: AppDeps, workspaceId: string, key: string, fingerprint: string): Promise<StartRestoreResult | null> {
  const existing = await findRestoreByIdempotencyKey(deps.database.db, { workspaceId, idempotencyKey: key })
  if (!existing) return null
  if (existing.requestFingerprint !== fingerprint) {
    throw new AppError('idempotency_conflict', 'This Idempotency-Key was already used with a different request; use a new key for a different restore.')
  }
  return { restore: existing.restore, replayed: true }
}

export async function resolveTarget(
  deps: AppDeps,
  workspace: { workspaceId: string; workspaceSlug: string },
  planId: string,
  body: Pick<StartRestore, 'targetServerId' | 'targetDatabase' | 'targetPath'>,
): Promise<EffectiveTarget> {
  const { db } = deps.database
  const { workspaceId } = workspace
  const plan = found(await getPlan(db, { workspaceId, id: planId }), 'plan')
  if (plan.type === 'database') {
    if (body.targetPath) throw fieldError('targetPath', 'a database backup restores into a server and database, not a path')
    let serverId: string | null
    if (body.targetServerId) {
      if (!(await getServer(db, { workspaceId, id: body.targetServerId }))) throw fieldError('targetServerId', 'no such server in this workspace')
      serverId = body.targetServerId
    } else {
      // The plan's source server may have been deleted since: then there is no default to fall back on.
      serverId = plan.sourceServerId && (await getServer(db, { workspaceId, id: plan.sourceServerId })) ? plan.sourceServerId : null
    }
    const database = body.targetDatabase ?? plan.sourceDatabase
    if (!serverId) throw new AppError('target_required', "No target server: give targetServerId (the plan's source server is not set or was deleted).")
    return { targetServerId: serverId, targetDatabase: database, targetPath: null }
  }
  if (body.targetServerId) throw fieldError('targetServerId', 'a files backup restores into a path, not a server')
  if (body.targetDatabase) throw fieldError('targetDatabase', 'a files backup restores into a path, not a database')
  const path = body.targetPath ?? plan.sourcePath
  if (!path) throw new AppError('target_required', 'No target path: give targetPath.')
  return {
    targetServerId: null,
    targetDatabase: null,
    targetPath: requireUnderRoots(
      'targetPath',
      path,
      workspaceRoots(deps.config.RESTORE_PATH_ROOTS, workspace.workspaceSlug),
      `this workspace's folder under RESTORE_PATH_ROOTS`,
    ),
  }
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505'
}

export async function startRestore(
  deps: AppDeps,
  principal: Principal,
  params: { backupId: string; body: StartRestore; idempotencyKey: string | undefined },
): Promise<StartRestoreResult> {
  const { db } = deps.database
  const { workspaceId } = principal
  const backup = found(await getBackup(db, { workspaceId, id: params.backupId }), 'backup')
  const key = params.idempotencyKey ?? null
  const fingerprint = key === null ? null : requestFingerprint(backup.id, params.body)
  if (key !== null && fingerprint !== null) {
    const replayed = await replay(deps, workspaceId, key, fingerprint)
    if (replayed) return replayed
  }
  if (backup.status !== 'completed') {
    throw new AppError('backup_not_restorable', `Only completed backups can be restored; this one is ${backup.status}.`)
  }
  const target = await resolveTarget(deps, principal, backup.planId, params.body)
  return createRestore(deps, principal, {
    backupId: backup.id,
    planId: backup.planId,
    target,
    overwrite: params.body.overwrite,
    idempotencyKey: key,
    requestFingerprint: fingerprint,
    pitTargetTime: null,
  })
}

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
