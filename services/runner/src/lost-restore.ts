// A restore whose last allowed attempt lost its runner (killed, partitioned): fail it with
// runner_lost and drop what that attempt left behind, unless the attempt had already swapped the
// restored database in before dying, in which case the restore is recorded completed instead.
// Used by job intake (a job for a silent restore) and by the sweeper.
import { completeRestore, failLostRestore, loadRestoreRun, type RestoreRun } from '@devpilot/db'
import type { Logger } from './logger.js'
import { restoreFinished } from './metrics.js'
import { cleanupFileLeftovers } from './restore/files.js'
import type { TargetServer } from './restore/pg-target.js'
import { cleanupDatabaseLeftovers, clearSwapMarker, targetHoldsRestore } from './restore/postgres.js'
import type { RunnerContext } from './runner-context.js'
import { resolveTargetServer } from './target-server.js'

type LostRun = Pick<RestoreRun, 'id' | 'attempt' | 'runnerId'>

/** Fails a restore whose last allowed attempt lost its runner, and cleans what that attempt left. */
export async function declareLost(ctx: RunnerContext, run: LostRun, log: Logger): Promise<void> {
  const lostAfter = ctx.config.RUNNER_LOST_AFTER_SECONDS
  if (await recordSwappedAsCompleted(ctx, run, log)) return
  const failed = await failLostRestore(ctx.db, {
    restoreId: run.id,
    seenAttempt: run.attempt,
    lostAfterSeconds: lostAfter,
    message: `The runner ${run.runnerId ?? '(unknown)'} stopped sending heartbeats for more than ${lostAfter} s during attempt ${run.attempt} of ${ctx.config.RUNNER_MAX_ATTEMPTS}; the target was not changed. Start the restore again.`,
  })
  if (!failed) return
  restoreFinished('failed', 'runner_lost')
  log.warn({ runnerId: run.runnerId, attempt: run.attempt }, 'restore failed with runner_lost')
  const full = await loadRestoreRun(ctx.db, run.id)
  if (full) await cleanupLeftovers(ctx, full, log)
}

/**
 * A runner killed after the swap but before recording `completed` left the target holding the
 * restored database (marked with the restore id). Failing the restore then would report "the
 * target was not changed" while it was, so it is recorded completed on behalf of the lost attempt.
 */
async function recordSwappedAsCompleted(ctx: RunnerContext, run: LostRun, log: Logger): Promise<boolean> {
  const full = await loadRestoreRun(ctx.db, run.id)
  if (!full?.server || !full.target.database || run.runnerId === null) return false
  let server: TargetServer
  let swapped: boolean
  try {
    server = resolveTargetServer(ctx.box, full.server)
    swapped = await targetHoldsRestore(server, full.target.database, run.id)
  } catch (error) {
    log.warn({ err: error }, 'could not check whether the lost attempt had already swapped the target in')
    return false
  }
  if (!swapped) return false
  // Guard: the lost attempt's ownership (runner id + attempt), still in_progress.
  const recorded = await completeRestore(ctx.db, { restoreId: run.id, runnerId: run.runnerId, attempt: run.attempt, bytesDone: full.backup.sizeBytes ?? 0 })
  if (recorded) {
    log.warn({ runnerId: run.runnerId, attempt: run.attempt }, 'the lost attempt had swapped the restored database in; recorded completed')
    await clearSwapMarker(server, full.target.database).catch((error: unknown) => log.warn({ err: error }, 'could not clear the swap marker'))
  }
  return recorded
}

async function cleanupLeftovers(ctx: RunnerContext, run: RestoreRun, log: Logger): Promise<void> {
  try {
    if (run.target.path) await cleanupFileLeftovers(run.target.path, run.id, log)
    else if (run.server && run.target.database) await cleanupDatabaseLeftovers(resolveTargetServer(ctx.box, run.server), run.id, log)
  } catch (error) {
    // Leftovers are recognisable by name and are dropped by the next attempt touching this restore.
    log.warn({ err: error }, 'could not clean up the leftovers of a lost restore')
  }
}
