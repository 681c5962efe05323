// The whole product for one test file, as it runs in production: a fresh product database cloned
// from the migrated template, the real API (services/api/src/server.ts) and two real runners
// (services/runner/src/main.ts) as child processes on kernel-chosen ports, file roots in a scratch
// directory, and typed OpenAPI clients. The only thing written around the API is the bootstrap
// token (like `pnpm admin create-token`). Teardown stops every process (SIGTERM, then SIGKILL)
// before the database is dropped.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { type ApiClient, createApiClient } from '@devpilot/api-client'
import {
  createProductDatabase,
  type ProductDatabase,
  type SeededWorkspace,
  scratchDir,
  seedUser,
  seedWorkspace,
  testEnv,
  testSecretBox,
  uniqueName,
} from '@devpilot/devenv/testing'
import { type ServiceProcess, spawnService, waitReady } from './service-process.js'

export interface System {
  database: ProductDatabase
  baseUrl: string
  api: ServiceProcess
  runners: ServiceProcess[]
  runnerIds: string[]
  /** The workspace's folders under RESTORE_PATH_ROOTS and LOCAL_DESTINATION_ROOTS of both services. */
  restoreRoot: string
  destinationRoot: string
  admin: SeededWorkspace
  operator: SeededWorkspace
  client(token: string): ApiClient
}

interface Tap {
  teardown(fn: () => unknown): void
}

const STOP_GRACE_MS = 10_000

export async function startSystem(t: Tap): Promise<System> {
  const later: Array<() => unknown> = []
  const collector = { teardown: (fn: () => unknown) => later.push(fn) }
  const services: ServiceProcess[] = []
  // One teardown, in a fixed order: the processes first (they hold connections to the database),
  // then the database and the scratch directory.
  t.teardown(async () => {
    const ends = await Promise.all(services.map((s) => s.stop(STOP_GRACE_MS).then((end) => ({ name: s.name, ...end }))))
    for (const fn of later.reverse()) await fn()
    // A service that needed SIGKILL, or exited with an error, is a failure of its shutdown path.
    const unclean = ends.filter((e) => e.killed || e.exitCode !== 0)
    if (unclean.length > 0) {
      throw new Error(
        `did not stop cleanly on SIGTERM within ${STOP_GRACE_MS} ms: ${unclean.map((e) => `${e.name} (exit ${e.exitCode}, signal ${e.signal})`).join(', ')}`,
      )
    }
  })

  const env = testEnv()
  const database = await createProductDatabase(collector)
  const roots = scratchDir(collector, 'e2e')
  const restoreRoot = join(roots, 'files')
  const destinationRoot = join(roots, 'destinations')
  mkdirSync(restoreRoot)
  mkdirSync(destinationRoot)
  const { key } = testSecretBox()
  const common = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    DATABASE_URL: database.url,
    SECRETS_KEY: key,
    // info: the start-up lines below are read from the logs.
    LOG_LEVEL: 'info',
    RESTORE_PATH_ROOTS: restoreRoot,
    LOCAL_DESTINATION_ROOTS: destinationRoot,
    PG_BIN_DIR: env.PG_BIN_DIR,
  }

  const api = spawnService('api', 'services/api/src/server.ts', { ...common, HOST: '127.0.0.1', PORT: '0', SHUTDOWN_GRACE_SECONDS: '5' })
  services.push(api)
  const runnerIds = [1, 2].map((n) => uniqueName(`e2e-runner-${n}`))
  const runners = runnerIds.map((id) =>
    spawnService(id, 'services/runner/src/main.ts', {
      ...common,
      RUNNER_ID: id,
      METRICS_HOST: '127.0.0.1',
      METRICS_PORT: '0',
      RUNNER_LOST_AFTER_SECONDS: '5',
      RUNNER_TARGET_BUSY_RETRY_SECONDS: '0.5',
      SHUTDOWN_GRACE_SECONDS: '5',
    }),
  )
  services.push(...runners)

  // Fastify logs "Server listening at http://127.0.0.1:<port>"; a runner logs "runner ready" with
  // its health port. Then both must answer /readyz (the database reachable, the worker started).
  const listening = await api.waitForLog((msg) => msg.startsWith('Server listening at http://127.0.0.1:'))
  const baseUrl = String(listening.msg).replace('Server listening at ', '')
  await waitReady(api, `${baseUrl}/readyz`)
  await Promise.all(
    runners.map(async (runner) => {
      const ready = await runner.waitForLog((msg) => msg === 'runner ready')
      await waitReady(runner, `http://127.0.0.1:${Number(ready.healthPort)}/readyz`)
    }),
  )

  const admin = await seedWorkspace(database.db)
  // Roots are per workspace: this workspace's folders are `<root>/<slug>`.
  const workspaceRestoreRoot = join(restoreRoot, admin.slug)
  const workspaceDestinationRoot = join(destinationRoot, admin.slug)
  mkdirSync(workspaceRestoreRoot)
  mkdirSync(workspaceDestinationRoot)
  const operator = await seedUser(database.db, { workspaceId: admin.workspaceId, slug: admin.slug, role: 'operator', email: `operator@${admin.slug}.test` })
  return {
    database,
    baseUrl,
    api,
    runners,
    runnerIds,
    restoreRoot: workspaceRestoreRoot,
    destinationRoot: workspaceDestinationRoot,
    admin,
    operator,
    client: (token) => createApiClient({ baseUrl, token }),
  }
}
