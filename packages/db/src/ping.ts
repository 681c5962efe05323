// Readiness probes of both services ask the product database one trivial question with a deadline,
// so a hung connection attempt reads as "not ready" within the probe's own timeout.
import type { Sql } from './client.js'

/** Resolves when the database answered `SELECT 1` within `timeoutMs`; rejects otherwise. */
export async function pingDatabase(sql: Sql, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the database did not answer within ${timeoutMs} ms`)), timeoutMs)
  })
  try {
    await Promise.race([sql`SELECT 1`, timeout])
  } finally {
    clearTimeout(timer)
  }
}
