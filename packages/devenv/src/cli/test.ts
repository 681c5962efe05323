// `pnpm test [-- tap args]`: brings up everything the tests need on this machine — two fresh
// PostgreSQL clusters from the system's binaries (the product's and "another server"), a migrated
// template database, and a real S3-protocol server on loopback — runs tap, tears it all down and
// ends with `N passed, N failed`. Nothing needs to be running beforehand.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { migrateDatabase } from '@devpilot/db'
import { execa } from 'execa'
import postgres from 'postgres'
import { type LocalCluster, startLocalCluster, stopClusterIn } from '../local-postgres.js'
import { type LocalS3, startLocalS3 } from '../local-s3.js'
import { DATA_DIR, PROJECT_ROOT } from '../paths.js'
import { findPgBinDir } from '../pg-binaries.js'
import { installQueueSchema } from '../queue-schema.js'
import { countTapResults } from '../test-results.js'
import { ensureWal2json } from '../wal2json.js'

const TEMPLATE_DB = 'devpilot_template'
// One folder per run, so two `pnpm test` runs on one machine never share a cluster.
const runsDir = join(DATA_DIR, 'test')
const root = join(runsDir, `run-${process.pid}`)
const log = (line: string) => console.log(`[test-env] ${line}`)

const started: Array<{ stop(): Promise<void> }> = []
async function stopAll() {
  for (const s of started.reverse()) await s.stop().catch((e: unknown) => console.error('[test-env] stop failed:', e))
  started.length = 0
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void stopAll().finally(() => process.exit(130))
  })
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Clears the folders of earlier runs whose process is gone (killed runs leave clusters behind). */
async function removeStaleRuns() {
  if (!existsSync(runsDir)) return
  for (const name of readdirSync(runsDir)) {
    const pid = Number(/^run-(\d+)$/.exec(name)?.[1])
    if (!pid || isAlive(pid)) continue
    for (const cluster of ['pg-main', 'pg-second']) await stopClusterIn(join(runsDir, name, cluster)).catch(() => {})
    rmSync(join(runsDir, name), { recursive: true, force: true })
  }
}

let exitCode = 1
try {
  await removeStaleRuns()
  mkdirSync(join(root, 'scratch'), { recursive: true })

  const t0 = Date.now()
  await ensureWal2json(findPgBinDir(), log)
  const [main, second]: LocalCluster[] = await Promise.all([
    startLocalCluster({ baseDir: join(root, 'pg-main'), fresh: true, fast: true, log }),
    startLocalCluster({ baseDir: join(root, 'pg-second'), fresh: true, fast: true, log }),
  ])
  if (!main || !second) throw new Error('clusters did not start')
  started.push(main, second)
  const s3: LocalS3 = await startLocalS3({ directory: join(root, 's3') })
  started.push(s3)
  log(`S3 server on ${s3.endpoint}`)

  const admin = postgres(main.url(), { max: 1, onnotice: () => {} })
  await admin.unsafe(`CREATE DATABASE ${TEMPLATE_DB}`)
  await admin.end()
  await migrateDatabase(main.url(TEMPLATE_DB))
  await installQueueSchema(main.url(TEMPLATE_DB))
  log(`template database migrated in ${Date.now() - t0} ms`)

  const resultsDir = join(PROJECT_ROOT, '.tap', 'test-results')
  rmSync(resultsDir, { recursive: true, force: true })
  const tap = await execa('pnpm', ['exec', 'tap', ...process.argv.slice(2).filter((a) => a !== '--')], {
    cwd: PROJECT_ROOT,
    stdio: 'inherit',
    reject: false,
    env: {
      DEVPILOT_TEST_PG_URL: main.url(),
      DEVPILOT_TEST_PG2_URL: second.url(),
      DEVPILOT_TEST_TEMPLATE_DB: TEMPLATE_DB,
      DEVPILOT_TEST_S3_ENDPOINT: s3.endpoint,
      DEVPILOT_TEST_SCRATCH_DIR: join(root, 'scratch'),
      PG_BIN_DIR: main.binDir,
    },
  })
  const counts = countTapResults(resultsDir)
  if (counts.failures.length > 0) console.log(`\nFailed:\n${counts.failures.map((f) => `  - ${f}`).join('\n')}`)
  const ok = tap.exitCode === 0 && counts.failed === 0 && counts.passed > 0
  exitCode = ok ? 0 : 1
  console.log(`\n${counts.files} files, tap exit ${tap.exitCode}${counts.skipped ? `, ${counts.skipped} skipped` : ''}`)
  console.log(`${counts.passed} passed, ${counts.failed + (tap.exitCode !== 0 && counts.failed === 0 ? 1 : 0)} failed`)
} catch (error) {
  console.error('[test-env] could not set up the test environment:', error)
  console.log('0 passed, 1 failed')
} finally {
  await stopAll()
  if (exitCode === 0) rmSync(root, { recursive: true, force: true })
}
process.exit(exitCode)
