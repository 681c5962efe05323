// A PostgreSQL cluster of its own for a test that must stop and start "another server" (a target
// that goes down mid-restore): the shared second cluster serves other test files at the same time
// and must never go down. Lives in a scratch folder; stopped and removed at teardown.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { type LocalCluster, startLocalCluster } from '../local-postgres.js'
import { testEnv } from './env.js'
import type { Teardown } from './teardown.js'

export interface StoppableCluster {
  /** Superuser URL of a database (default `postgres`) on the cluster's current port. */
  url(database?: string): string
  port(): number
  /** Fast shutdown: every session is terminated, new connections are refused. */
  stop(): Promise<void>
  /** Starts it again on the same data, on the same port when that is still free (else another: read `port()`). */
  start(): Promise<void>
}

export async function stoppableCluster(t: Teardown): Promise<StoppableCluster> {
  const dir = mkdtempSync(join(testEnv().DEVPILOT_TEST_SCRATCH_DIR, 'stoppable-pg-'))
  chmodSync(dir, 0o755) // as root the cluster runs as the postgres user, which must reach it
  const baseDir = join(dir, 'pg')
  let cluster: LocalCluster = await startLocalCluster({ baseDir, fresh: true, fast: true })
  let running = true
  t.teardown(async () => {
    if (running) await cluster.stop()
    rmSync(dir, { recursive: true, force: true })
  })
  return {
    url: (database) => cluster.url(database),
    port: () => cluster.port,
    async stop() {
      await cluster.stop()
      running = false
    },
    async start() {
      cluster = await startLocalCluster({ baseDir, preferredPort: cluster.port, fast: true })
      running = true
    },
  }
}
