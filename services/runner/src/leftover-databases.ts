// Staging databases left on a target server that could not be reached when their restore failed
// (the server was down, the network cut): the failing attempt could not drop them, and no later
// attempt of a terminal restore comes to do it. The sweeper looks for them on every server on
// record and drops them once the server answers, retrying unreachable servers with a backoff.
// A database is dropped only when its name is exactly one a restore of this product gave it on
// that server (staging of attempt n <= the restore's attempt, or the old target of a completed
// restore) and that restore is terminal: a pending or in_progress restore owns its staging, and a
// name that matches no restore of ours is never touched, whatever it looks like.
import { isTerminalRestoreStatus } from '@devpilot/contracts'
import { findLeftoverOwners, type LeftoverOwner, listScannableServers, type ScannableServer, tryAdvisoryLocks } from '@devpilot/db'
import type { Logger } from './logger.js'
import { ANY_LEFTOVER_DATABASE_PATTERN, connectTarget, parseLeftoverDatabase, quoteIdent, stagingDatabaseNames } from './restore/pg-target.js'
import type { RunnerContext } from './runner-context.js'
import { resolveTargetServer } from './target-server.js'

/** Servers looked at per sweep at most, so one sweep stays short however many servers there are. */
const SERVERS_PER_SWEEP = 20
/** Only one runner at a time scans the target servers. */
const SCAN_LOCK = 'runner:leftover-database-scan'

interface ServerSchedule {
  dueAtMs: number
  failures: number
}

export interface LeftoverScanner {
  /**
   * Starts a scan of the servers that are due (never scanned, unreachable and past their backoff,
   * or past RUNNER_LEFTOVER_SCAN_SECONDS) unless one is still running; never throws.
   */
  start(): void
  /** Waits for a running scan to end. */
  stop(): Promise<void>
}

/** Why a leftover may be dropped, or null when it must stay. */
export function droppableLeftover(name: string, owners: readonly LeftoverOwner[]): string | null {
  const parsed = parseLeftoverDatabase(name)
  if (!parsed) return null
  for (const owner of owners) {
    if (!isTerminalRestoreStatus(owner.status) || owner.targetDatabase === null) continue
    if (parsed.kind === 'staging') {
      const ours =
        parsed.attempt >= 1 && parsed.attempt <= owner.attempt && stagingDatabaseNames(owner.targetDatabase, owner.id, parsed.attempt).staging === name
      if (ours) return `staging database of attempt ${parsed.attempt} of ${owner.status} restore ${owner.id}`
    } else if (owner.status === 'completed' && stagingDatabaseNames(owner.targetDatabase, owner.id, 1).old === name) {
      // Only a completed restore's old target is garbage; next to a failed one it may be the only copy.
      return `previous target database replaced by completed restore ${owner.id}`
    }
  }
  return null
}

export function createLeftoverScanner(ctx: RunnerContext, log: Logger, sweepSeconds: number): LeftoverScanner {
  const schedule = new Map<string, ServerSchedule>()
  const intervalMs = ctx.config.RUNNER_LEFTOVER_SCAN_SECONDS * 1000

  async function scanServer(server: ScannableServer, slog: Logger): Promise<number> {
    const target = resolveTargetServer(ctx.box, server)
    const admin = await connectTarget(target, server.maintenanceDatabase)
    try {
      const rows = await admin<{ datname: string }[]>`SELECT datname FROM pg_database WHERE datname ~ ${ANY_LEFTOVER_DATABASE_PATTERN}`
      const parsed = rows.map((r) => ({ name: r.datname, leftover: parseLeftoverDatabase(r.datname) }))
      const owners = await findLeftoverOwners(ctx.db, { serverId: server.id, shortIds: parsed.flatMap((p) => (p.leftover ? [p.leftover.shortId] : [])) })
      let dropped = 0
      for (const { name, leftover } of parsed) {
        if (!leftover) continue
        const why = droppableLeftover(name, owners.get(leftover.shortId) ?? [])
        if (!why) continue
        slog.warn({ database: name, why }, 'dropping a leftover database on the target server')
        await admin.unsafe(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`)
        dropped++
      }
      return dropped
    } finally {
      await admin.end({ timeout: 5 })
    }
  }

  async function scanDue(): Promise<void> {
    const now = Date.now()
    const servers = await listScannableServers(ctx.db, { limit: 10_000 })
    const known = new Set(servers.map((s) => s.id))
    for (const id of schedule.keys()) if (!known.has(id)) schedule.delete(id)
    const due = servers.filter((s) => (schedule.get(s.id)?.dueAtMs ?? 0) <= now).slice(0, SERVERS_PER_SWEEP)
    if (due.length === 0) return
    const lock = await tryAdvisoryLocks(ctx.db, { exclusive: SCAN_LOCK, shared: [] })
    if (!lock) return // another runner is scanning; this one tries again next sweep
    try {
      for (const server of due) {
        const slog = log.child({ serverId: server.id })
        try {
          const dropped = await scanServer(server, slog)
          if (dropped > 0) slog.info({ dropped }, 'leftover databases dropped')
          schedule.set(server.id, { dueAtMs: Date.now() + intervalMs, failures: 0 })
        } catch (error) {
          // Down or refusing: try again after a backoff (a sweep, doubling up to the scan interval).
          const failures = (schedule.get(server.id)?.failures ?? 0) + 1
          const backoffMs = Math.min(intervalMs, sweepSeconds * 1000 * 2 ** Math.min(failures - 1, 16))
          schedule.set(server.id, { dueAtMs: Date.now() + backoffMs, failures })
          slog.info({ err: error, failures, retryInMs: backoffMs }, 'could not scan the target server for leftover databases; will retry')
        }
      }
    } finally {
      await lock.release()
    }
  }

  let running: Promise<void> | null = null
  return {
    start() {
      if (running) return
      running = scanDue()
        .catch((error: unknown) => log.warn({ err: error }, 'leftover database scan failed; will retry'))
        .finally(() => {
          running = null
        })
    },
    async stop() {
      if (running) await running
    },
  }
}
