// The whole system under test, brought up by the benchmark itself: a fresh fast PostgreSQL
// cluster and s3rver under .data/bench/suite, migrations, the API and one runner as child
// processes. The runner can be restarted with other settings (PG_RESTORE_JOBS) and so that its
// peak RSS (VmHWM) covers one measurement only.
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { RUNNER_NODE_OPTIONS } from '@devpilot/config'
import { migrateDatabase } from '@devpilot/db'
import { DATA_DIR, freePort, type LocalCluster, type LocalS3, startLocalCluster, startLocalS3 } from '@devpilot/devenv'
import { psql } from '@devpilot/devenv/testing'
import { generateSecretsKey } from '@devpilot/secrets'
import { onCleanup } from './processes.js'
import { type Service, type ServiceRuntime, startService } from './services.js'

export const BUCKET = 'bench'

export interface System {
  root: string
  /** Scratch space for artifacts and bare-tool targets. */
  workDir: string
  /** RESTORE_PATH_ROOTS of the runner: file restores land here. */
  filesRoot: string
  /** LOCAL_DESTINATION_ROOTS: `local` destinations live here. */
  destinationsRoot: string
  cluster: LocalCluster
  s3: LocalS3
  databaseUrl: string
  apiUrl: string
  api: Service
  runner(): Service | null
  /** Stops the current runner (if any) and starts a fresh one with these extra settings (and node binary/runtime). */
  restartRunner(extraEnv?: Record<string, string>, runtime?: ServiceRuntime): Promise<Service>
  stopRunner(): Promise<void>
  /** Starts another API process (another node binary or runtime) on its own port; the caller stops it. */
  addApi(runtime: ServiceRuntime): Promise<{ service: Service; url: string }>
  /** Starts another runner process beside the current one; the caller stops it. */
  addRunner(extraEnv?: Record<string, string>): Promise<Service>
}

/** The bench's workspace slug: its folders are `<root>/bench`. */
export const BENCH_WORKSPACE = 'bench'

export async function startSystem(log: (line: string) => void, options: { apiRuntime?: ServiceRuntime } = {}): Promise<System> {
  const root = join(DATA_DIR, 'bench', 'suite')
  const logDir = join(root, 'logs')
  const workDir = join(root, 'work')
  // Roots are per workspace (`<root>/<slug>`): the bench workspace's folders are under these.
  const filesRoots = join(root, 'files')
  const filesRoot = join(filesRoots, BENCH_WORKSPACE)
  const destinationsRoot = join(root, 'destinations')
  const tmpDir = join(root, 'tmp')
  rmSync(join(root, 'work'), { recursive: true, force: true })
  rmSync(filesRoots, { recursive: true, force: true })
  rmSync(logDir, { recursive: true, force: true })
  for (const dir of [logDir, workDir, filesRoot, destinationsRoot, tmpDir]) mkdirSync(dir, { recursive: true })
  // The big artifacts and restored trees go; the logs stay for a look after the run.
  onCleanup('scratch folders', async () => {
    for (const dir of [workDir, filesRoot, destinationsRoot, tmpDir, join(root, 's3')]) rmSync(dir, { recursive: true, force: true })
  })

  const cluster = await startLocalCluster({ baseDir: join(root, 'pg'), fresh: true, fast: true })
  onCleanup('PostgreSQL cluster', async () => {
    await cluster.stop()
    rmSync(join(root, 'pg'), { recursive: true, force: true })
  })
  log(`PostgreSQL on 127.0.0.1:${cluster.port} (fsync off, like the tests)`)
  const s3 = await startLocalS3({ directory: join(root, 's3'), buckets: [BUCKET] })
  onCleanup('s3rver', () => s3.stop())
  log(`s3rver on ${s3.endpoint}`)

  await psql(cluster.url(), 'CREATE DATABASE devpilot')
  const databaseUrl = cluster.url('devpilot')
  await migrateDatabase(databaseUrl)

  const apiPort = await freePort()
  const apiUrl = `http://127.0.0.1:${apiPort}`
  const common: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    SECRETS_KEY: generateSecretsKey(),
    RESTORE_PATH_ROOTS: filesRoots,
    LOCAL_DESTINATION_ROOTS: destinationsRoot,
    LOG_LEVEL: 'info',
    PG_BIN_DIR: cluster.binDir,
  }
  const api = await startService({
    name: 'api',
    env: { ...common, HOST: '127.0.0.1', PORT: String(apiPort) },
    readyUrl: `${apiUrl}/readyz`,
    logDir,
    ...(options.apiRuntime ? { runtime: options.apiRuntime } : {}),
  })
  log(`API on ${apiUrl} (pid ${api.pid})`)
  const addApi = async (runtime: ServiceRuntime) => {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    const service = await startService({ name: 'api', env: { ...common, HOST: '127.0.0.1', PORT: String(port) }, readyUrl: `${url}/readyz`, logDir, runtime })
    return { service, url }
  }

  let runner: Service | null = null
  const stopRunner = async () => {
    await runner?.stop()
    runner = null
  }
  const addRunner = async (extraEnv: Record<string, string> = {}, runtime?: ServiceRuntime) => {
    const port = await freePort()
    return startService({
      name: 'runner',
      env: { ...common, NODE_OPTIONS: RUNNER_NODE_OPTIONS, METRICS_PORT: String(port), RUNNER_TEMP_DIR: tmpDir, SHUTDOWN_GRACE_SECONDS: '5', ...extraEnv },
      readyUrl: `http://127.0.0.1:${port}/readyz`,
      logDir,
      ...(runtime ? { runtime } : {}),
    })
  }
  const restartRunner = async (extraEnv: Record<string, string> = {}, runtime?: ServiceRuntime) => {
    await stopRunner()
    runner = await addRunner(extraEnv, runtime)
    return runner
  }
  const first = await restartRunner()
  log(`runner ready (pid ${first.pid})`)
  return {
    root,
    workDir,
    filesRoot,
    destinationsRoot,
    cluster,
    s3,
    databaseUrl,
    apiUrl,
    api,
    runner: () => runner,
    restartRunner,
    stopRunner,
    addRunner,
    addApi,
  }
}
