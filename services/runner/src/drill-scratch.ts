// A drill's scratch target (DESIGN.md "Drills"): a database `drill_<plan id 8 hex>_<yyyymmddhhmmss>`
// on the drill's server, or a folder of that name in the workspace's restore folder. It exists only
// between the drill's swap and its end: dropped once the drill was recorded, unless `keep`. A runner
// killed in between leaves it behind; the next drill of the plan and the sweeper (this module's
// sweepDrillScratch) drop the scratch targets of finished, unkept drills. Only a drill record's own
// target is ever dropped, so nothing but scratch targets can go.
import { rm } from 'node:fs/promises'
import { workspaceRoots } from '@devpilot/contracts'
import { finishedUnkeptDrills, loadRestoreRun, type RestoreRun } from '@devpilot/db'
import type { Logger } from './logger.js'
import { isInside } from './path-containment.js'
import { connectTarget, quoteIdent } from './restore/pg-target.js'
import type { RunnerContext } from './runner-context.js'
import { resolveTargetServer } from './target-server.js'

/** Hours after a drill ended during which its scratch target is still looked for. */
const LEFTOVER_WINDOW_HOURS = 24 * 7

async function dropScratch(ctx: RunnerContext, run: RestoreRun, log: Logger): Promise<void> {
  if (run.target.path) {
    const roots = workspaceRoots(ctx.config.RESTORE_PATH_ROOTS, run.workspaceSlug)
    if (!roots.some((root) => isInside(root, run.target.path ?? ''))) return
    await rm(run.target.path, { recursive: true, force: true })
    return
  }
  if (!run.server || run.server.deleted || !run.target.database) return
  const server = resolveTargetServer(ctx.box, run.server)
  const admin = await connectTarget(server, server.maintenanceDatabase)
  try {
    const [exists] = await admin<{ n: number }[]>`SELECT 1 AS n FROM pg_database WHERE datname = ${run.target.database}`
    if (!exists) return
    log.info({ database: run.target.database }, 'dropping the scratch database of a drill')
    await admin.unsafe(`DROP DATABASE IF EXISTS ${quoteIdent(run.target.database)} WITH (FORCE)`)
  } finally {
    await admin.end({ timeout: 5 })
  }
}

/** After a drill was recorded: its scratch target goes, unless the drill asked to keep it. */
export async function finishDrill(ctx: RunnerContext, run: RestoreRun, log: Logger): Promise<void> {
  if (run.drillKeep) {
    log.info({ database: run.target.database, path: run.target.path }, 'drill kept its scratch target')
    return
  }
  await dropScratch(ctx, run, log).catch((error: unknown) =>
    log.warn({ err: error }, 'could not drop the scratch target of the drill; the next drill of the plan or the sweeper will'),
  )
}

/** Drops an earlier drill's scratch target if it is still there; false when that could not be done. */
async function dropLeftover(ctx: RunnerContext, id: string, log: Logger): Promise<boolean> {
  const run = await loadRestoreRun(ctx.db, id)
  if (!run) return true
  try {
    await dropScratch(ctx, run, log.child({ drillId: id }))
    return true
  } catch (error) {
    log.warn({ err: error, drillId: id }, 'could not drop the scratch target of an earlier drill; will retry')
    return false
  }
}

/** Before a drill runs: the scratch targets earlier drills of the plan left behind go. */
export async function prepareDrill(ctx: RunnerContext, run: RestoreRun, log: Logger): Promise<void> {
  const ids = await finishedUnkeptDrills(ctx.db, { planId: run.plan.id, withinHours: LEFTOVER_WINDOW_HOURS, limit: 20 })
  for (const id of ids) if (id !== run.id) await dropLeftover(ctx, id, log)
}

/** Seconds between two drill sweeps of one runner: each connects to the drills' servers. */
const SWEEP_EVERY_SECONDS = 60

/**
 * The sweeper's part: scratch targets of completed, unkept drills of any plan, at most once a
 * minute; a drill whose scratch target is known gone is not looked at again by this process.
 */
export function drillScratchSweeper(ctx: RunnerContext, log: Logger): () => Promise<void> {
  const done = new Set<string>()
  let lastMs = Number.NEGATIVE_INFINITY
  return async () => {
    if (performance.now() - lastMs < SWEEP_EVERY_SECONDS * 1000) return
    lastMs = performance.now()
    const ids = await finishedUnkeptDrills(ctx.db, { withinHours: LEFTOVER_WINDOW_HOURS, limit: 200 })
    for (const id of ids) {
      if (done.has(id)) continue
      if (await dropLeftover(ctx, id, log)) done.add(id)
    }
  }
}
