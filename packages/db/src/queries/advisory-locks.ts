// Advisory locks, keyed by text (hashtextextended). Transaction-level: serialise one kind of write
// (user creation per workspace, segment registration per plan) until the transaction ends.
// Session-level: held for as long as a piece of work runs (the runner's target lock): every shared
// key, then the exclusive key, taken with try-locks on one reserved connection, released together.
// A process that dies drops its connection and with it the locks.
//
// Exception to the drizzle idiom of this package: a session lock lives on one connection, and
// drizzle's query API cannot pin a pooled connection across statements, so the session locks run
// on a postgres.js reserved connection.
import { sql } from 'drizzle-orm'
import type { Db } from '../client.js'

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]

/** Waits for the transaction-level lock on `key`; it is released when the transaction ends. */
export async function advisoryXactLock(tx: Tx, key: string): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))`)
}

export interface AdvisoryLocks {
  release(): Promise<void>
}

/** Takes the locks, or returns null (holding none) when another session holds a conflicting one. */
export async function tryAdvisoryLocks(db: Db, keys: { exclusive: string; shared: readonly string[] }): Promise<AdvisoryLocks | null> {
  const conn = await db.$client.reserve()
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
