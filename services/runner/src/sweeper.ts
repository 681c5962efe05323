// Every runner sweeps periodically for in_progress restores whose runner went silent (killed,
// partitioned): a restore with attempts left gets a job, so some runner takes it over and retries
// it from scratch; one without is failed with runner_lost and its leftovers are dropped. This
// bounds how long a restore can stay in_progress after its runner died, whatever pg-boss does.
// It also gives a job back to a pending restore that has none left (so none waits forever), and
// removes the spool files of runners of this machine that are gone, and drops the staging
// databases terminal restores left on target servers that were down (leftover-databases.ts).
import { findOrphanedPendingRestores, findStaleRestores, loadRestoreRun, type StaleRestore } from '@devpilot/db'
import { liveRestoreJobIds } from '@devpilot/queue'
import { drillScratchSweeper } from './drill-scratch.js'
import { createLeftoverScanner } from './leftover-databases.js'
import type { Logger } from './logger.js'
import { declareLost } from './lost-restore.js'
import { removeOrphanedSpools } from './restore/spool.js'
import type { RunnerContext } from './runner-context.js'
import { tryLockTarget } from './target-lock.js'

export interface Sweeper {
  stop(): Promise<void>
  sweepNow(): Promise<void>
}

/** Seconds between sweeps: a quarter of the lost-after bound, between 1 and 15. */
export function sweepIntervalSeconds(lostAfterSeconds: number): number {
  return Math.max(1, Math.min(15, lostAfterSeconds / 4))
}

/**
 * declareLost of a file restore under its target lock, as job intake holds it: finishing a file
 * switch renames the target, which must never race another runner doing the same. A runner that
 * is only frozen still holds its lock, so its restore waits for a later sweep.
 */
async function declareLostLocked(ctx: RunnerContext, restore: StaleRestore, log: Logger): Promise<void> {
  if (!restore.targetPath) return declareLost(ctx, restore, log)
  const run = await loadRestoreRun(ctx.db, restore.id)
  if (!run) return
  const lock = await tryLockTarget(ctx.db, run, { box: ctx.box, log })
  if (!lock) {
    log.info('target locked by another runner; the lost restore is handled at a later sweep')
    return
  }
  try {
    await declareLost(ctx, restore, log)
  } finally {
    await lock.release()
  }
}

export function startSweeper(ctx: RunnerContext, log: Logger): Sweeper {
  let running: Promise<void> | null = null
  const leftovers = createLeftoverScanner(ctx, log, sweepIntervalSeconds(ctx.config.RUNNER_LOST_AFTER_SECONDS))
  const sweepDrills = drillScratchSweeper(ctx, log)
  const sweep = async () => {
    await removeOrphanedSpools(ctx.config.RUNNER_TEMP_DIR, log)
    const stale = await findStaleRestores(ctx.db, { lostAfterSeconds: ctx.config.RUNNER_LOST_AFTER_SECONDS, limit: 50 })
    for (const restore of stale) {
      const rlog = log.child({ restoreId: restore.id })
      if (restore.attempt >= ctx.config.RUNNER_MAX_ATTEMPTS) await declareLostLocked(ctx, restore, rlog)
      else {
        rlog.info({ runnerId: restore.runnerId, attempt: restore.attempt }, 'restore lost its runner; queueing a takeover')
        await ctx.requeue(restore.id, 0)
      }
    }
    // Jobs first, restores second: a restore whose job was live at the first read is never taken for an orphan.
    const withLiveJob = await liveRestoreJobIds(ctx.db.$client)
    const orphans = await findOrphanedPendingRestores(ctx.db, { olderThanSeconds: ctx.config.RUNNER_LOST_AFTER_SECONDS, limit: 50, withLiveJob })
    for (const restoreId of orphans) {
      log.warn({ restoreId }, 'pending restore has no job left; queueing one')
      await ctx.requeue(restoreId, 0)
    }
    // In the background: an unreachable server can take its connect timeout, which must not delay lost restores.
    leftovers.start()
    await sweepDrills()
  }
  const tick = () => {
    if (running) return running
    running = sweep()
      .catch((error: unknown) => log.warn({ err: error }, 'sweep failed; will retry'))
      .finally(() => {
        running = null
      })
    return running
  }
  const timer = setInterval(() => void tick(), sweepIntervalSeconds(ctx.config.RUNNER_LOST_AFTER_SECONDS) * 1000)
  return {
    sweepNow: tick,
    async stop() {
      clearInterval(timer)
      if (running) await running
      await leftovers.stop()
    },
  }
}
