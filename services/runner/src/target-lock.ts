// Serialises restores of the same physical target across every runner. The database's unique
// index covers one target record (server id + database name, or the exact path); this also covers
// two server rows for one server (another host name, an IP for a name, a second record), and
// nested or symlinked paths (a restore into /a and one into /a/b, or into a link to /a).
// A database target is keyed by what the server is: its cluster's system identifier and port, read
// over a connection before the lock (host:port when that cannot be read, e.g. the server is down:
// the restore then fails as target_unreachable anyway). A path is keyed by its real path (the
// deepest existing ancestor resolved through symlinks). The lock — exclusive on the target, shared
// on every ancestor directory — is taken before the claim and held on a dedicated connection for
// the whole run; a runner that dies drops its connection and with it the lock (tryAdvisoryLocks).
import { realpath } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { type Db, type RestoreRun, tryAdvisoryLocks } from '@devpilot/db'
import type { SecretBox } from '@devpilot/secrets'
import type { Logger } from './logger.js'
import { connectTarget } from './restore/pg-target.js'
import { resolveTargetServer } from './target-server.js'

export interface TargetLock {
  release(): Promise<void>
}

export interface LockKeys {
  exclusive: string
  shared: string[]
}

/** The path with its deepest existing ancestor resolved through symlinks. */
async function realTargetPath(path: string): Promise<string> {
  const absolute = resolve(path)
  const missing: string[] = []
  for (let dir = absolute; ; dir = dirname(dir)) {
    try {
      return join(await realpath(dir), ...missing.reverse())
    } catch {
      if (dir === dirname(dir)) return absolute
      missing.push(basename(dir))
    }
  }
}

/** The server's identity: its cluster's system identifier and port, or host:port when unreadable. */
async function serverIdentity(box: SecretBox, server: NonNullable<RestoreRun['server']>, log: Logger): Promise<string> {
  const fallback = `${server.host.toLowerCase()}:${server.port}`
  try {
    const sql = await connectTarget(resolveTargetServer(box, server), server.maintenanceDatabase)
    try {
      const [row] = await sql<{ id: string; port: string }[]>`
        SELECT system_identifier::text AS id, current_setting('port') AS port FROM pg_control_system()`
      return row ? `cluster:${row.id}:${row.port}` : fallback
    } finally {
      await sql.end({ timeout: 1 }).catch(() => {})
    }
  } catch (error) {
    log.debug({ err: error }, 'could not read the target server identity; locking by host and port')
    return fallback
  }
}

export async function targetLockKeys(run: Pick<RestoreRun, 'target' | 'server'>, deps: { box: SecretBox; log: Logger }): Promise<LockKeys | null> {
  if (run.target.path) {
    const path = await realTargetPath(run.target.path)
    const shared: string[] = []
    for (let dir = dirname(path); ; dir = dirname(dir)) {
      shared.push(`path:${dir}`)
      if (dir === dirname(dir)) break
    }
    return { exclusive: `path:${path}`, shared }
  }
  if (run.server && run.target.database) return { exclusive: `db:${await serverIdentity(deps.box, run.server, deps.log)}/${run.target.database}`, shared: [] }
  return null
}

/** Takes the target's locks, or returns null when another restore of the same target holds them. */
export async function tryLockTarget(db: Db, run: Pick<RestoreRun, 'target' | 'server'>, deps: { box: SecretBox; log: Logger }): Promise<TargetLock | null> {
  const keys = await targetLockKeys(run, deps)
  if (!keys) return { release: async () => {} }
  return tryAdvisoryLocks(db, keys)
}
