// Job intake: one job, one restore. Read the record, take the target lock, move the restore to
// in_progress (claim a pending one, or take over one whose runner went silent), hand it to
// run-restore.ts, and wake the next restore waiting for the same target. A job carries only the
// restore id; duplicates and stale jobs are recognised from the record and dropped.
import { resolve } from 'node:path'
import { isTerminalRestoreStatus } from '@devpilot/contracts'
import { claimRestore, failPendingRestore, loadRestoreRun, nextPendingRestoreForTarget, type RestoreRun, takeOverRestore } from '@devpilot/db'
import type { Logger } from './logger.js'
import { declareLost, tidyCompletedRestore } from './lost-restore.js'
import { countInFlight, restoreFinished, restoreKind } from './metrics.js'
import { hasSwitchJournal } from './restore/file-switch.js'
import { runRestore } from './run-restore.js'
import type { RunnerContext } from './runner-context.js'
import { destinationProblem } from './sources/open-artifact.js'
import { tryLockTarget } from './target-lock.js'

export async function handleRestoreJob(ctx: RunnerContext, restoreId: string): Promise<void> {
  const log = ctx.log.child({ restoreId })
  const run = await loadRestoreRun(ctx.db, restoreId)
  if (!run) {
    log.warn('job for a restore that does not exist; dropping it')
    return
  }
  if (isTerminalRestoreStatus(run.status)) {
    log.info({ status: run.status }, 'restore already finished; duplicate job ignored')
    if (run.status === 'completed' && run.target.path && (await hasSwitchJournal(resolve(run.target.path), run.id))) await tidyUnderLock(ctx, run, log)
    return
  }
  // Another restore of the same physical target (an aliasing server row, a nested path) runs elsewhere: wait.
  // A dry run only reads the target: it never waits for it nor holds it.
  const lock = run.dryRun ? { release: async () => {} } : await tryLockTarget(ctx.db, run, { box: ctx.box, log })
  if (!lock) {
    log.info(
      { retryInSeconds: ctx.config.RUNNER_TARGET_BUSY_RETRY_SECONDS },
      'target busy with another restore (same server and database, or an enclosing path); waiting',
    )
    await ctx.requeue(restoreId, ctx.config.RUNNER_TARGET_BUSY_RETRY_SECONDS)
    return
  }
  let ran: boolean
  try {
    ran = await claimAndRun(ctx, run, log)
  } finally {
    await lock.release()
  }
  // The target is free again: wake the restore waiting longest for it instead of its next retry.
  if (!ran || run.dryRun) return
  const next = await nextPendingRestoreForTarget(ctx.db, restoreId)
  if (next) await ctx.requeue(next, 0, { wake: true })
}

/** Claims (or takes over) the restore and runs it; false when it did not run here. */
async function claimAndRun(ctx: RunnerContext, run: RestoreRun, log: Logger): Promise<boolean> {
  const restoreId = run.id
  let attempt: number
  if (run.status === 'pending') {
    const problem = destinationProblem(run.destination)
    if (problem) {
      const failed = await failPendingRestore(ctx.db, { restoreId, runnerId: ctx.runnerId, code: 'destination_unavailable', message: problem })
      if (failed) restoreFinished('failed', 'destination_unavailable')
      log.info({ failed }, 'destination unavailable before start; restore failed without starting')
      return false
    }
    const claim = await claimRestore(ctx.db, { restoreId, runnerId: ctx.runnerId })
    if (claim.kind === 'lost') {
      log.info('restore was claimed by another runner first')
      return false
    }
    if (claim.kind === 'target_busy') {
      log.info({ retryInSeconds: ctx.config.RUNNER_TARGET_BUSY_RETRY_SECONDS }, 'target busy with another restore; waiting in pending')
      await ctx.requeue(restoreId, ctx.config.RUNNER_TARGET_BUSY_RETRY_SECONDS)
      return false
    }
    attempt = claim.attempt
  } else {
    const lostAfter = ctx.config.RUNNER_LOST_AFTER_SECONDS
    if (run.heartbeatAgeSeconds !== null && run.heartbeatAgeSeconds < lostAfter) {
      log.info({ runnerId: run.runnerId }, 'restore is running on a live runner; duplicate job ignored')
      return false
    }
    if (run.attempt >= ctx.config.RUNNER_MAX_ATTEMPTS) {
      await declareLost(ctx, run, log)
      return false
    }
    const taken = await takeOverRestore(ctx.db, { restoreId, runnerId: ctx.runnerId, seenAttempt: run.attempt, lostAfterSeconds: lostAfter })
    if (!taken) {
      log.info('another runner took the restore over first')
      return false
    }
    log.warn({ previousRunner: run.runnerId, attempt: taken.attempt }, 'taking over a restore whose runner went silent; retrying from scratch')
    attempt = taken.attempt
  }
  await countInFlight(restoreKind(run.target), () => runRestore(ctx, run, attempt, log.child({ attempt })))
  return true
}

/** A completed restore left its switch journal (killed right after recording): remove it under the target lock. */
async function tidyUnderLock(ctx: RunnerContext, run: RestoreRun, log: Logger): Promise<void> {
  const lock = await tryLockTarget(ctx.db, run, { box: ctx.box, log })
  if (!lock) {
    await ctx.requeue(run.id, ctx.config.RUNNER_TARGET_BUSY_RETRY_SECONDS)
    return
  }
  try {
    await tidyCompletedRestore(run, log)
  } finally {
    await lock.release()
  }
}
