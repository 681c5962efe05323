// Runner entry point: reads the configuration once, serves health and metrics, migrates the product
// database (idempotent, under an advisory lock), starts the worker, and stops gracefully on
// SIGTERM/SIGINT (see worker.ts for what graceful means for in-flight restores).
import { parseEnv, runnerConfigSchema } from '@devpilot/config'
import { migrateDatabase, openDatabase } from '@devpilot/db'
import { createSecretBox } from '@devpilot/secrets'
import { runnerReadiness, startHealthServer } from './health.js'
import { createLogger } from './logger.js'
import { METRICS_CONTENT_TYPE, renderMetrics } from './metrics.js'
import { findPgTools } from './pg-tools.js'
import { createWorker } from './worker.js'

const config = parseEnv('runner', runnerConfigSchema, process.env)
const log = createLogger(config.LOG_LEVEL)

const database = openDatabase(config.DATABASE_URL, { max: config.RUNNER_CONCURRENCY * 2 + 2, applicationName: 'devpilot-restore-runner' })
const worker = createWorker({
  config,
  db: database.db,
  box: createSecretBox(config.SECRETS_KEY, config.SECRETS_KEY_PREVIOUS),
  tools: findPgTools(config.PG_BIN_DIR),
  log,
})
// Health first: /healthz answers (and /readyz says 503) while migrations and pg-boss start up.
const health = await startHealthServer({
  host: config.METRICS_HOST,
  port: config.METRICS_PORT,
  ready: runnerReadiness(worker, database.sql),
  metrics: async () => ({ contentType: METRICS_CONTENT_TYPE, body: await renderMetrics(database.sql, log) }),
  metricsToken: config.METRICS_TOKEN,
})
await migrateDatabase(config.DATABASE_URL)
await worker.start()
log.info({ runnerId: worker.runnerId, healthPort: health.port }, 'runner ready')

let stopping = false
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return
    stopping = true
    log.info({ signal }, 'shutting down')
    void (async () => {
      try {
        await worker.stop()
        await health.close()
        await database.close()
        process.exit(0)
      } catch (error) {
        log.error({ err: error }, 'shutdown failed')
        process.exit(1)
      }
    })()
  })
}
