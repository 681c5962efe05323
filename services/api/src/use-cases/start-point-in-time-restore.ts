// Starting a point-in-time restore (POST /v1/plans/{id}/point-in-time-restores). Only database
// plans in `realtime` mode qualify; the moment must fall inside the restorable window, and the
// record names the base snapshot the runner will start from (the latest one covering the moment),
// so it says exactly what will be restored. Everything else is an ordinary restore record.
import { AppError, microsToIso, type StartPointInTimeRestore, snapshotFor, streamWindow, toMicros } from '@devpilot/contracts'
import { getPlan, listStreamSegments, listStreamSnapshots, type Principal } from '@devpilot/db'
import type { AppDeps } from '../deps.js'
import { found } from '../not-found.js'
import { createRestore } from './create-restore.js'
import { checkIdempotency, type StartRestoreResult } from './restore-idempotency.js'
import { resolveTarget } from './restore-target.js'
import { refuseUnbuilt } from './start-restore.js'

export async function planStreamWindow(deps: AppDeps, workspaceId: string, planId: string) {
  const { db } = deps.database
  const [snapshots, segments] = await Promise.all([listStreamSnapshots(db, { workspaceId, planId }), listStreamSegments(db, { workspaceId, planId })])
  return { snapshots, segments, window: streamWindow(snapshots, segments) }
}

export async function startPointInTimeRestore(
  deps: AppDeps,
  principal: Principal,
  params: { planId: string; body: StartPointInTimeRestore; idempotencyKey: string | undefined },
): Promise<StartRestoreResult> {
  const { workspaceId } = principal
  const plan = found(await getPlan(deps.database.db, { workspaceId, id: params.planId }), 'plan')
  if (plan.type !== 'database' || plan.mode !== 'realtime') {
    throw new AppError(
      'plan_not_realtime',
      `Point-in-time restore needs a real-time database plan; this plan is a ${plan.mode} ${plan.type} plan. Restore one of its backups instead.`,
    )
  }
  const { body } = params
  refuseUnbuilt(body)
  const idempotency = await checkIdempotency(deps, workspaceId, params.idempotencyKey, () => [
    'pitr',
    plan.id,
    toMicros(body.targetTime).toString(),
    body.targetServerId ?? null,
    body.targetDatabase ?? null,
    body.overwrite,
    ...(body.verify ? [] : ['verify:false']),
  ])
  if (idempotency.replayed) return idempotency.replayed
  const { window } = await planStreamWindow(deps, workspaceId, plan.id)
  const targetTime = microsToIso(toMicros(params.body.targetTime))
  const chosen = snapshotFor(window, targetTime)
  if (!chosen) {
    const range = window.earliestRestorableAt
      ? `between ${window.earliestRestorableAt} and ${window.latestRestorableAt}`
      : 'nowhere yet (no base snapshot with a contiguous stream)'
    throw new AppError(
      'target_time_out_of_range',
      `${targetTime} is outside the restorable window of this plan; it can be restored ${range}${window.gaps.length ? ', except inside gaps of the stream' : ''}.`,
      {
        details: {
          window: {
            earliestRestorableAt: window.earliestRestorableAt,
            latestRestorableAt: window.latestRestorableAt,
            intervals: window.intervals.map(({ from, to }) => ({ from, to })),
          },
        },
      },
    )
  }
  const target = await resolveTarget(deps, principal, plan.id, {
    targetServerId: params.body.targetServerId,
    targetDatabase: params.body.targetDatabase,
    targetPath: null,
  })
  return createRestore(deps, principal, {
    backupId: chosen.baseBackupId,
    planId: plan.id,
    target,
    overwrite: params.body.overwrite,
    idempotencyKey: idempotency.key,
    requestFingerprint: idempotency.fingerprint,
    pitTargetTime: targetTime,
    verify: params.body.verify,
  })
}
