// The API process: read config, migrate, start pg-boss (the restore queue must exist before the
// first enqueue), build the app and listen. SIGTERM/SIGINT stop accepting connections, let
// in-flight requests finish within SHUTDOWN_GRACE_SECONDS, then close pg-boss and the database.
import { apiConfigSchema, parseEnv } from '@devpilot/config'
import { migrateDatabase, openDatabase } from '@devpilot/db'
import { createLogger } from '@devpilot/observability'
import { createBoss, ensureQueues } from '@devpilot/queue'
import { buildApp } from './app.js'

const config = parseEnv('api', apiConfigSchema, process.env)
const log = createLogger({ level: config.LOG_LEVEL })

await migrateDatabase(config.DATABASE_URL)
const database = openDatabase(config.DATABASE_URL, { max: config.DB_POOL_SIZE, applicationName: 'devpilot-restore-api' })
const boss = createBoss({ url: config.DATABASE_URL, max: 2, onError: (error) => log.error({ err: error }, 'pg-boss error') })
await boss.start()
await ensureQueues(boss)

const app = await buildApp({ config, database, boss, log })
await app.listen({ host: config.HOST, port: config.PORT })

let stopping = false
async function shutdown(signal: string) {
  if (stopping) return
  stopping = true
  log.info({ signal }, 'shutting down')
  const force = setTimeout(() => {
    log.error({ graceSeconds: config.SHUTDOWN_GRACE_SECONDS }, 'shutdown grace period over; exiting')
    process.exit(1)
  }, config.SHUTDOWN_GRACE_SECONDS * 1000)
  force.unref()
  try {
    await app.close()
    await boss.stop({ graceful: true, timeout: 5_000 })
    await database.close()
    log.info('stopped')
    process.exit(0)
  } catch (error) {
    log.error({ err: error }, 'shutdown failed')
    process.exit(1)
  }
}
process.once('SIGTERM', () => void shutdown('SIGTERM'))
process.once('SIGINT', () => void shutdown('SIGINT'))
