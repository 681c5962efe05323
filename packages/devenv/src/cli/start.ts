// `pnpm start`: the whole system in the foreground on embedded defaults — a PostgreSQL cluster
// under .data/pg (unless DATABASE_URL is set), migrations, the API and one runner, both from their
// compiled output (`pnpm start` builds first) — and on Ctrl-C or SIGTERM it stops everything it
// started, cluster last.
import { RUNNER_NODE_OPTIONS } from '@devpilot/config'
import { migrateDatabase } from '@devpilot/db'
import { execa, type ResultPromise } from 'execa'
import pretty from 'pino-pretty'
import { compiledServiceArgs, type ServiceName } from '../compiled-services.js'
import {
  ensureLocalFolders,
  LOCAL_DESTINATIONS_ROOT,
  LOCAL_FILES_ROOT,
  LOCAL_PG_DIR,
  LOCAL_PG_PORT,
  localSecretsKey,
  removeLocalEnv,
  writeLocalEnv,
} from '../local-env.js'
import { type LocalCluster, startLocalCluster } from '../local-postgres.js'
import { PROJECT_ROOT } from '../paths.js'

const log = (line: string) => console.log(`[start] ${line}`)
const children: Array<{ name: string; process: ResultPromise }> = []
let cluster: LocalCluster | undefined
let stopping = false

async function shutdown(code: number) {
  if (stopping) return
  stopping = true
  log('stopping…')
  for (const child of children) child.process.kill('SIGTERM')
  const deadline = setTimeout(() => {
    for (const child of children) child.process.kill('SIGKILL')
  }, 30_000)
  await Promise.allSettled(children.map((c) => c.process))
  clearTimeout(deadline)
  removeLocalEnv()
  if (cluster) await cluster.stop().catch((e: unknown) => console.error('[start] could not stop PostgreSQL:', e))
  log('stopped')
  process.exit(code)
}
process.on('SIGINT', () => void shutdown(0))
process.on('SIGTERM', () => void shutdown(0))

function spawnService(name: ServiceName, env: Record<string, string>) {
  // Compiled JavaScript on this process's Node: the child is the service itself, so signals reach it.
  const child = execa(process.execPath, compiledServiceArgs(name), {
    cwd: PROJECT_ROOT,
    env,
    reject: false,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'inherit',
  })
  child.stdout?.pipe(pretty({ colorize: process.stdout.isTTY, messageFormat: `[${name}] {msg}`, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' }))
  children.push({ name, process: child })
  void child.then((result) => {
    if (!stopping) {
      console.error(`[start] ${name} exited unexpectedly (exit ${result.exitCode}); stopping everything`)
      void shutdown(1)
    }
  })
}

async function waitForHealth(url: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return
    } catch {}
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`)
}

try {
  let databaseUrl = process.env.DATABASE_URL
  if (!databaseUrl) {
    cluster = await startLocalCluster({ baseDir: LOCAL_PG_DIR, preferredPort: LOCAL_PG_PORT, log })
    const admin = cluster
    // The product database lives beside `postgres` so demo databases can be created next to it.
    const { default: postgres } = await import('postgres')
    const sql = postgres(admin.url(), { max: 1, onnotice: () => {} })
    const [exists] = await sql`SELECT 1 FROM pg_database WHERE datname = 'devpilot'`
    if (!exists) await sql.unsafe('CREATE DATABASE devpilot')
    await sql.end()
    databaseUrl = admin.url('devpilot')
  } else {
    log('DATABASE_URL is set: using that database instead of a local cluster')
  }
  ensureLocalFolders()
  await migrateDatabase(databaseUrl)
  log('migrations applied')

  const host = process.env.HOST ?? '127.0.0.1'
  const port = process.env.PORT ?? '3000'
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    SECRETS_KEY: process.env.SECRETS_KEY ?? localSecretsKey(),
    HOST: host,
    PORT: port,
    RESTORE_PATH_ROOTS: process.env.RESTORE_PATH_ROOTS ?? LOCAL_FILES_ROOT,
    LOCAL_DESTINATION_ROOTS: process.env.LOCAL_DESTINATION_ROOTS ?? LOCAL_DESTINATIONS_ROOT,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  }
  if (cluster) env.PG_BIN_DIR = cluster.binDir
  spawnService('api', env)
  spawnService('runner', {
    ...env,
    NODE_OPTIONS: RUNNER_NODE_OPTIONS,
    METRICS_PORT: process.env.METRICS_PORT ?? '0',
  })
  const apiUrl = `http://${host}:${port}`
  await waitForHealth(`${apiUrl}/readyz`, 60_000)
  writeLocalEnv({ ...env, API_URL: apiUrl })

  console.log(`
  Devpilot Restore is up.
    API        ${apiUrl}
    API docs   ${apiUrl}/docs   (OpenAPI document: ${apiUrl}/openapi.json)
    Database   ${cluster ? `local cluster in .data/pg on 127.0.0.1:${cluster.port}` : 'DATABASE_URL'}
    Files      restores may write under ${env.RESTORE_PATH_ROOTS}; local destinations live under ${env.LOCAL_DESTINATION_ROOTS}

  Get a token (in another terminal):   pnpm admin create-token --workspace demo --email you@example.com
  Try a full restore end to end:       pnpm demo
  Stop everything:                     Ctrl-C
`)
} catch (error) {
  console.error('[start] could not start:', error instanceof Error ? error.message : error)
  await shutdown(1)
}
