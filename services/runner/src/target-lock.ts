// Serialises restores of the same physical target across every runner. The database's unique
// index covers one target record (server id + database name, or the exact path); this also covers
// two server rows naming one host:port, and nested paths (a restore into /a and one into /a/b).
// An advisory lock keyed by what the target is — exclusive on the target, shared on every ancestor
// directory — is taken before the claim and held on a dedicated connection for the whole run; a
// runner that dies drops its connection and with it the lock (packages/db tryAdvisoryLocks).
import { dirname, resolve } from 'node:path'
import { type Db, type RestoreRun, tryAdvisoryLocks } from '@devpilot/db'

export interface TargetLock {
  release(): Promise<void>
}

export function targetLockKeys(run: Pick<RestoreRun, 'target' | 'server'>): { exclusive: string; shared: string[] } | null {
  if (run.target.path) {
    const path = resolve(run.target.path)
    const shared: string[] = []
    for (let dir = dirname(path); ; dir = dirname(dir)) {
      shared.push(`path:${dir}`)
      if (dir === dirname(dir)) break
    }
    return { exclusive: `path:${path}`, shared }
  }
  if (run.server && run.target.database) return { exclusive: `db:${run.server.host.toLowerCase()}:${run.server.port}/${run.target.database}`, shared: [] }
  return null
}

/** Takes the target's locks, or returns null when another restore of the same target holds them. */
export async function tryLockTarget(db: Db, run: Pick<RestoreRun, 'target' | 'server'>): Promise<TargetLock | null> {
  const keys = targetLockKeys(run)
  if (!keys) return { release: async () => {} }
  return tryAdvisoryLocks(db, keys)
}
