// The whole product for one test file, as it runs in production: a fresh product database cloned
// from the migrated template, the real API and two real runners as child processes on
// kernel-chosen ports, file roots in a scratch directory, and typed OpenAPI clients. The only thing
// written around the API is the bootstrap token (like `pnpm admin create-token`). Teardown stops
// every process (SIGTERM, then SIGKILL) before the database is dropped.
import { type ApiClient, createApiClient } from '@devpilot/api-client'
import { type ProductDatabase, uniqueName } from './databases.js'
import { type SeededWorkspace, seedTeam } from './fixtures.js'
import { createTestProduct, workspaceFolders } from './product.js'
import { type ServiceProcess, spawnService } from './service-process.js'
import { type Teardown, teardownStack } from './teardown.js'

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
  viewer: SeededWorkspace
  client(token: string): ApiClient
}

const STOP_GRACE_MS = 10_000
const START_TIMEOUT_MS = 180_000

/** `env`: extra variables for the API and both runners (e.g. WEBHOOK_ALLOW_PRIVATE_NETWORKS for a loopback receiver); `apiEnv`: for the API only. */
export async function startSystem(t: Teardown, options: { env?: Record<string, string>; apiEnv?: Record<string, string> } = {}): Promise<System> {
  // One teardown, in a fixed order: the processes first (they hold connections to the database),
  // then the database and the scratch directory.
  const stack = teardownStack(t)
  const product = await createTestProduct(stack, { prefix: 'e2e' })
  const services: ServiceProcess[] = []
  stack.teardown(async () => {
    const ends = await Promise.all(services.map((s) => s.stop(STOP_GRACE_MS).then((end) => ({ name: s.name, ...end }))))
    // A service that needed SIGKILL, or exited with an error, is a failure of its shutdown path.
    const unclean = ends.filter((e) => e.killed || e.exitCode !== 0)
    if (unclean.length > 0) {
      throw new Error(
        `did not stop cleanly on SIGTERM within ${STOP_GRACE_MS} ms: ${unclean.map((e) => `${e.name} (exit ${e.exitCode}, signal ${e.signal})`).join(', ')}`,
      )
    }
  })

  // info: the start-up lines are read from the logs.
  const common = { ...product.serviceEnv, LOG_LEVEL: 'info', ...options.env }
  const api = spawnService('api', { ...common, HOST: '127.0.0.1', PORT: '0', SHUTDOWN_GRACE_SECONDS: '5', ...options.apiEnv })
  services.push(api)
  const runnerIds = [1, 2].map((n) => uniqueName(`e2e-runner-${n}`))
  const runners = runnerIds.map((id) =>
    spawnService('runner', {
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
  // Generous: on a machine shared by many test runs, tsx alone has taken close to a minute to start a service.
  const baseUrl = await api.ready(START_TIMEOUT_MS)
  await Promise.all(runners.map((runner) => runner.ready(START_TIMEOUT_MS)))

  const team = await seedTeam(product.database.db)
  // Roots are per workspace: this workspace's folders are `<root>/<slug>`.
  const folders = workspaceFolders(product, team.slug)
  return {
    database: product.database,
    baseUrl,
    api,
    runners,
    runnerIds,
    ...folders,
    admin: team.admin,
    operator: team.operator,
    viewer: team.viewer,
    client: (token) => createApiClient({ baseUrl, token }),
  }
}
