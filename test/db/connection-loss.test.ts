// The product database's connections can die under a runner (a restart, a failover). postgres.js
// 3.4.9 then threw an uncaught TypeError from a deferred write on a reserved connection
// (porsager/postgres#1208), which killed the whole process; the runner holds its target locks on
// exactly such a connection. patches/postgres@3.4.9.patch settles those queries with
// CONNECTION_CLOSED and keeps the dead connection out of the pool. A backend ended with
// pg_terminate_backend is the real fault; this file crashing is what a regression looks like.
import { createProductDatabase, waitFor } from '@devpilot/devenv/testing'
import postgres from 'postgres'
import t from 'tap'

const product = await createProductDatabase(t)

t.test('a reserved connection whose backend died rejects with CONNECTION_CLOSED and the pool keeps working', async (t) => {
  let closes = 0
  const sql = postgres(product.url, { max: 2, onnotice: () => {}, onclose: () => closes++ })
  t.teardown(() => sql.end({ timeout: 5 }))
  const conn = await sql.reserve()
  const [row] = await conn<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`
  await product.sql`SELECT pg_terminate_backend(${row?.pid ?? 0})`
  // The client must have seen the close before the next query: that is the crashing path.
  await waitFor(
    async () => closes,
    (n) => n > 0,
    { timeoutMs: 10_000, what: 'the client to notice the terminated backend' },
  )
  const error = await conn`SELECT pg_advisory_unlock_all()`.then(
    () => null,
    (e: unknown) => e as { code?: string },
  )
  t.equal(error?.code, 'CONNECTION_CLOSED', 'the query on the dead connection rejects with CONNECTION_CLOSED')
  conn.release()
  for (let i = 0; i < 4; i++) {
    const [one] = await sql<{ n: number }[]>`SELECT 1 AS n`
    t.equal(one?.n, 1, `pool query ${i + 1} after the release works`)
  }
})
