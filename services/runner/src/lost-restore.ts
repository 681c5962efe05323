// A restore whose last allowed attempt lost its runner (killed, partitioned): fail it with
// runner_lost and drop what that attempt left behind, unless the attempt had already swapped the
// restored database in, or committed its file switch, before dying: then the restore is recorded
// completed instead (a committed file switch is finished first). Used by job intake (a job for a
// silent restore) and by the sweeper; both hold the restore's target lock.
import { resolve } from 'node:path'
import { completeRestore, failLostRestore, loadRestoreRun, type RestoreRun } from '@devpilot/db'
import type { Logger } from './logger.js'
import { restoreFinished } from './metrics.js'
import { clearSwitchJournal, finishSwitch, switchPaths } from './restore/file-switch.js'
import { cleanupFileLeftovers } from './restore/files.js'
import type { TargetServer } from './restore/pg-target.js'
import { cleanupDatabaseLeftovers, clearSwapMarker, targetHoldsRestore } from './restore/postgres.js'
import type { RunnerContext } from './runner-context.js'
import { resolveTargetServer } from './target-server.js'

type LostRun = Pick<RestoreRun, 'id' | 'attempt' | 'runnerId'>

/** What the lost attempt did to the target: nothing, the whole swap/switch, or a switch that cannot be finished. */
type LostOutcome = { kind: 'unchanged' } | { kind: 'swapped' } | { kind: 'stuck'; reason: string }

/** Fails a restore whose last allowed attempt lost its runner, and cleans what that attempt left. */
export async function declareLost(ctx: RunnerContext, run: LostRun, log: Logger): Promise<void> {
  const lostAfter = ctx.config.RUNNER_LOST_AFTER_SECONDS
  const full = await loadRestoreRun(ctx.db, run.id)
  const outcome = full ? await lostAttemptOutcome(ctx, full, log) : ({ kind: 'unchanged' } as const)
  if (full && outcome.kind === 'swapped') {
    // Not recorded means another actor moved the restore first; either way it must not read "not changed".
    await recordSwappedAsCompleted(ctx, full, run, log)
    return
  }
  const stopped = `The runner ${run.runnerId ?? '(unknown)'} stopped sending heartbeats for more than ${lostAfter} s during attempt ${run.attempt} of ${ctx.config.RUNNER_MAX_ATTEMPTS}`
  const message =
    outcome.kind === 'stuck'
      ? `${stopped} while switching the restored files in, and finishing that switch failed (${outcome.reason}). The switch journal ${switchPaths(resolve(full?.target.path ?? ''), run.id).journal} and the directories it names were kept for manual recovery.`
      : `${stopped}; the target was not changed. Start the restore again.`
  const failed = await failLostRestore(ctx.db, { restoreId: run.id, seenAttempt: run.attempt, lostAfterSeconds: lostAfter, message })
  if (!failed) return
  restoreFinished('failed', 'runner_lost')
  log.warn({ runnerId: run.runnerId, attempt: run.attempt }, 'restore failed with runner_lost')
  if (full && outcome.kind === 'unchanged') await cleanupLeftovers(ctx, full, log)
}

/**
 * Whether the lost attempt had changed the target: a database swapped in (marked with the restore
 * id on the target), or a file switch committed (its journal beside the target), which is finished
 * here. Failing the restore then would report "the target was not changed" while it was.
 */
async function lostAttemptOutcome(ctx: RunnerContext, run: RestoreRun, log: Logger): Promise<LostOutcome> {
  if (run.target.path) {
    try {
      return (await finishSwitch(resolve(run.target.path), run.id, log)) ? { kind: 'swapped' } : { kind: 'unchanged' }
    } catch (error) {
      log.error({ err: error }, 'could not finish the file switch the lost attempt had committed')
      return { kind: 'stuck', reason: error instanceof Error ? error.message : String(error) }
    }
  }
  if (!run.server || !run.target.database) return { kind: 'unchanged' }
  try {
    const swapped = await targetHoldsRestore(resolveTargetServer(ctx.box, run.server), run.target.database, run.id)
    return swapped ? { kind: 'swapped' } : { kind: 'unchanged' }
  } catch (error) {
    log.warn({ err: error }, 'could not check whether the lost attempt had already swapped the target in')
    return { kind: 'unchanged' }
  }
}

/** Records completed on behalf of the lost attempt, then clears the swap marker or switch journal. */
async function recordSwappedAsCompleted(ctx: RunnerContext, full: RestoreRun, run: LostRun, log: Logger): Promise<boolean> {
  if (run.runnerId === null) return false
  // Guard: the lost attempt's ownership (runner id + attempt), still in_progress.
  const recorded = await completeRestore(ctx.db, { restoreId: run.id, runnerId: run.runnerId, attempt: run.attempt, bytesDone: full.backup.sizeBytes ?? 0 })
  if (!recorded) return false
  restoreFinished('completed', null)
  log.warn({ runnerId: run.runnerId, attempt: run.attempt }, 'the lost attempt had swapped the restored target in; recorded completed')
  try {
    if (full.target.path) await clearSwitchJournal(resolve(full.target.path), run.id)
    else if (full.server && full.target.database) {
      const server: TargetServer = resolveTargetServer(ctx.box, full.server)
      await clearSwapMarker(server, full.target.database)
    }
  } catch (error) {
    log.warn({ err: error }, 'could not clear the swap marker or switch journal')
  }
  return true
}

/**
 * A job for a restore that is already completed: its runner may have died between recording it
 * and removing the file switch journal (pg-boss hands the dead runner's job out again). Clears it.
 */
export async function tidyCompletedRestore(run: RestoreRun, log: Logger): Promise<void> {
  if (run.status !== 'completed' || !run.target.path) return
  const target = resolve(run.target.path)
  try {
    // A completed restore's journal describes a finished switch: this only removes what is left.
    if (await finishSwitch(target, run.id, log)) {
      await clearSwitchJournal(target, run.id)
      log.info({ target }, 'removed the switch journal a completed restore had left beside its target')
    }
  } catch (error) {
    log.warn({ err: error }, 'could not remove the switch journal of a completed restore')
  }
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
