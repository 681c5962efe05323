// Operator surface of a runner: /metrics counts what this runner did (restores finished by status
// and error code, durations by kind, bytes, in flight) and reads the queue depth from the database;
// /readyz is 503 from the first moment of a shutdown and while the database is gone; every log
// line about a restore carries its restoreId and the runner's id.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { parseEnv, runnerConfigSchema } from '@devpilot/config'
import { RESTORE_QUEUE } from '@devpilot/contracts'
import { openDatabase } from '@devpilot/db'
import {
  adminQuery,
  createEmptyDatabase,
  dropDatabase,
  fileSize,
  makeTar,
  pgDump,
  psql,
  sampleValue,
  scratchDir,
  testEnv,
  uniqueName,
  waitFor,
} from '@devpilot/devenv/testing'
import t from 'tap'
import { runnerReadiness, startHealthServer } from '../src/health.js'
import { createLogger } from '../src/logger.js'
import { METRICS_CONTENT_TYPE, renderMetrics } from '../src/metrics.js'
import { findPgTools } from '../src/pg-tools.js'
import { createWorker } from '../src/worker.js'
import { createHarness } from './harness.js'

const env = testEnv()
const h = await createHarness(t)

// The runner under test, in process, logging JSON lines into `lines`.
const lines: Array<Record<string, unknown>> = []
let pending = ''
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    pending += chunk.toString('utf8')
    const complete = pending.split('\n')
    pending = complete.pop() ?? ''
    for (const line of complete) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>)
    done()
  },
})
const config = parseEnv('runner', runnerConfigSchema, h.runnerEnv({ LOG_LEVEL: 'debug', RUNNER_ID: 'runner-metrics' }))
const log = createLogger(config.LOG_LEVEL, sink)
const worker = createWorker({ config, db: h.db.db, box: h.box, tools: findPgTools(config.PG_BIN_DIR), log })
await worker.start()
let workerStopped = false
t.teardown(async () => {
  if (!workerStopped) await worker.stop()
})
const health = await startHealthServer({
  host: '127.0.0.1',
  port: 0,
  ready: runnerReadiness(worker, h.db.sql),
  metrics: async () => ({ contentType: METRICS_CONTENT_TYPE, body: await renderMetrics(h.db.sql, log) }),
})
t.teardown(() => health.close())

const base = `http://127.0.0.1:${health.port}`

async function scrape(): Promise<string> {
  const res = await fetch(`${base}/metrics`)
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`)
  return res.text()
}

// Artifacts: a small file tree as tar, a small database as pg_custom.
const destination = await h.localDestination()
const tree = join(scratchDir(t, 'tree'), 'src')
mkdirSync(tree)
writeFileSync(join(tree, 'a.txt'), 'hello\n'.repeat(1000))
writeFileSync(join(tree, 'b.bin'), Buffer.alloc(50_000, 7))
const tarFile = join(destination.path, 'tree.tar')
await makeTar(tree, 'tar', tarFile)
const source = await createEmptyDatabase(t, { prefix: 'metricsrc' })
await psql(source.url, 'CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT i, md5(i::text) FROM generate_series(1, 2000) i;')
const dumpFile = join(destination.path, 'db.dump')
await pgDump(source.url, 'pg_custom', dumpFile)
const server = await h.server(env.DEVPILOT_TEST_PG_URL)

t.test('/metrics counts finished restores by status and error code, durations by kind, bytes, and nothing left in flight', async (t) => {
  const filesPlan = await h.filesPlan({ sourcePath: tree, destinationId: destination.id })
  const filesBackup = await h.backup({ planId: filesPlan, format: 'tar', artifactKey: 'tree.tar', file: tarFile })
  const dbPlan = await h.databasePlan({ sourceServerId: server, sourceDatabase: source.name, destinationId: destination.id })
  const dbBackup = await h.backup({ planId: dbPlan, format: 'pg_custom', artifactKey: 'db.dump', file: dumpFile })
  const missingBackup = await h.backup({ planId: dbPlan, format: 'pg_custom', artifactKey: 'no-such.dump' })
  const disabled = await h.localDestination({ enabled: false })
  const disabledPlan = await h.databasePlan({ sourceServerId: server, sourceDatabase: source.name, destinationId: disabled.id })
  const disabledBackup = await h.backup({ planId: disabledPlan, format: 'pg_custom', artifactKey: 'x.dump' })
  const copy = uniqueName('metricscopy')
  t.teardown(() => dropDatabase(env.DEVPILOT_TEST_PG_URL, copy))

  const rows = await Promise.all([
    h.restore({ backupId: filesBackup, planId: filesPlan, targetPath: join(h.filesRoot, 'metrics-restored') }),
    h.restore({ backupId: dbBackup, planId: dbPlan, targetServerId: server, targetDatabase: copy }),
    h.restore({ backupId: missingBackup, planId: dbPlan, targetServerId: server, targetDatabase: uniqueName('never') }),
    h.restore({ backupId: disabledBackup, planId: disabledPlan, targetServerId: server, targetDatabase: uniqueName('never') }),
  ]).then((ids) => Promise.all(ids.map((id) => h.waitTerminal(id))))
  t.same(
    rows.map((r) => [r.status, r.error_code]),
    [
      ['completed', null],
      ['completed', null],
      ['failed', 'artifact_missing'],
      ['failed', 'destination_unavailable'],
    ],
    rows.map((r) => r.error_message).join('; '),
  )

  // One waiting job, deferred: the queue depth is read from pg-boss's table at scrape time.
  await h.boss.send(RESTORE_QUEUE, { restoreId: '00000000-0000-4000-8000-000000000000' }, { startAfter: 3600 })

  // A restore's record turns terminal a moment before its run unwinds (the in-flight gauge drops
  // in the run's finally), so wait for the gauges to settle instead of reading once.
  const text = await waitFor(
    scrape,
    (body) =>
      sampleValue(body, 'devpilot_runner_restores_in_flight', { kind: 'database' }) === 0 &&
      sampleValue(body, 'devpilot_runner_restores_in_flight', { kind: 'files' }) === 0,
    { timeoutMs: 5000, what: 'in-flight gauges to settle' },
  )
  const finished = 'devpilot_runner_restores_finished_total'
  t.equal(sampleValue(text, finished, { status: 'completed', error_code: 'none' }), 2)
  t.equal(sampleValue(text, finished, { status: 'failed', error_code: 'artifact_missing' }), 1)
  t.equal(sampleValue(text, finished, { status: 'failed', error_code: 'destination_unavailable' }), 1)
  const duration = 'devpilot_runner_restore_duration_seconds_count'
  t.equal(sampleValue(text, duration, { kind: 'files', status: 'completed' }), 1)
  t.equal(sampleValue(text, duration, { kind: 'database', status: 'completed' }), 1)
  t.equal(sampleValue(text, duration, { kind: 'database', status: 'failed' }), 1, 'a restore failed before it ran has no duration')
  t.equal(sampleValue(text, 'devpilot_runner_restored_bytes_total'), fileSize(tarFile) + fileSize(dumpFile), 'every artifact byte streamed, once')
  t.equal(sampleValue(text, 'devpilot_runner_restores_in_flight', { kind: 'files' }), 0)
  t.equal(sampleValue(text, 'devpilot_runner_restores_in_flight', { kind: 'database' }), 0)
  t.equal(sampleValue(text, 'devpilot_restore_queue_depth', { state: 'created' }), 1)
  t.equal(sampleValue(text, 'devpilot_restore_queue_depth', { state: 'retry' }), 0)
  t.ok(sampleValue(text, 'process_resident_memory_bytes'), 'process metrics are there too')
})

t.test('every log line about a restore carries its restoreId and the runner id', async (t) => {
  const aboutRestores = lines.filter((l) => 'restoreId' in l)
  t.ok(aboutRestores.length >= 8, `${aboutRestores.length} restore lines`)
  for (const line of aboutRestores) t.equal(line.runnerId, 'runner-metrics', `runnerId on "${String(line.msg)}"`)
  const others = new Set(lines.filter((l) => !('restoreId' in l)).map((l) => String(l.msg)))
  t.same([...others].sort(), ['runner started', 'webhook delivery started'], 'the only lines without a restoreId are the runner-level starts')
})

t.test('/readyz is 503 while the database is gone, and the health server keeps answering', async (t) => {
  const gone = await createEmptyDatabase(t, { prefix: 'readyzgone' })
  const database = openDatabase(gone.url, { max: 1 })
  t.teardown(() => database.close())
  const probe = await startHealthServer({
    host: '127.0.0.1',
    port: 0,
    ready: runnerReadiness(worker, database.sql),
    metrics: async () => ({ contentType: 'text/plain', body: '' }),
  })
  t.teardown(() => probe.close())
  const url = `http://127.0.0.1:${probe.port}`
  t.equal((await fetch(`${url}/readyz`)).status, 200, 'ready while the database answers')
  await adminQuery(env.DEVPILOT_TEST_PG_URL, `DROP DATABASE "${gone.name}" WITH (FORCE)`)
  const res = await fetch(`${url}/readyz`)
  t.equal(res.status, 503)
  t.same(await res.json(), { status: 'not_ready' })
  t.equal((await fetch(`${url}/healthz`)).status, 200, 'still alive')
})

t.test('/readyz turns 503 as soon as shutdown begins, while /healthz and /metrics still answer', async (t) => {
  t.equal((await fetch(`${base}/readyz`)).status, 200)
  const stopping = worker.stop()
  workerStopped = true
  t.equal((await fetch(`${base}/readyz`)).status, 503, 'not ready while stopping')
  await stopping
  t.equal((await fetch(`${base}/readyz`)).status, 503, 'not ready once stopped')
  t.equal((await fetch(`${base}/healthz`)).status, 200)
  t.equal((await fetch(`${base}/metrics`)).status, 200)
})

t.test('with METRICS_TOKEN set, /metrics answers 401 without it and 200 with it; health stays open', async (t) => {
  const guarded = await startHealthServer({
    host: '127.0.0.1',
    port: 0,
    ready: async () => true,
    metrics: async () => ({ contentType: METRICS_CONTENT_TYPE, body: await renderMetrics(h.db.sql, log) }),
    metricsToken: 'scrape-token-0123456789',
  })
  t.teardown(() => guarded.close())
  const url = `http://127.0.0.1:${guarded.port}`
  t.equal((await fetch(`${url}/metrics`)).status, 401)
  t.equal((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status, 401)
  t.equal((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer scrape-token-0123456789' } })).status, 200)
  t.equal((await fetch(`${url}/healthz`)).status, 200, 'healthz needs no token')
})
