// Serialises restores of the same physical target across every runner. The database's unique
// index covers one target record (server id + database name, or the exact path); this also covers
// two server rows naming one host:port, and nested paths (a restore into /a and one into /a/b).
// An advisory lock keyed by what the target is — exclusive on the target, shared on every ancestor
// directory — is taken before the claim and held on a dedicated connection for the whole run; a
// runner that dies drops its connection and with it the lock.
import { dirname, resolve } from 'node:path'
import type { RestoreRun } from '@devpilot/db'
import type postgres from 'postgres'

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
export async function tryLockTarget(sql: postgres.Sql, run: Pick<RestoreRun, 'target' | 'server'>): Promise<TargetLock | null> {
  const keys = targetLockKeys(run)
  if (!keys) return { release: async () => {} }
  const conn = await sql.reserve()
  const release = async () => {
    const unlocked = await conn`SELECT pg_advisory_unlock_all()`.then(
      () => true,
      () => false,
    )
    // A failed unlock means the backend died (and its locks with it). Let the socket's close
    // event land first, so the pool takes the connection back as closed rather than as idle.
    if (!unlocked) await new Promise((resolve) => setTimeout(resolve, 0))
    conn.release()
  }
  try {
    for (const key of keys.shared) {
      const [row] = await conn<{ ok: boolean }[]>`SELECT pg_try_advisory_lock_shared(hashtextextended(${key}, 0)) AS ok`
      if (!row?.ok) {
        await release()
        return null
      }
    }
    const [row] = await conn<{ ok: boolean }[]>`SELECT pg_try_advisory_lock(hashtextextended(${keys.exclusive}, 0)) AS ok`
    if (!row?.ok) {
      await release()
      return null
    }
    return { release }
  } catch (error) {
    await release()
    throw error
  }
}
