// Prometheus metrics of one runner process, served on /metrics next to /healthz and /readyz
// (health.ts). Counters and the histogram count what this process did; the queue depth is read from
// the database at scrape time by the gauge shared with the API (@devpilot/observability).
// Restore code reports through the few functions below and never touches prom-client itself.
import type { Sql } from '@devpilot/db'
import { registerQueueDepthMetric } from '@devpilot/observability'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import type { Logger } from './logger.js'

export type RestoreKind = 'database' | 'files'

const registry = new Registry()
collectDefaultMetrics({ register: registry })

const finished = new Counter({
  name: 'devpilot_runner_restores_finished_total',
  help: 'Restores this runner moved to a terminal state, by status and error code (`none` when completed).',
  labelNames: ['status', 'error_code'],
  registers: [registry],
})
const duration = new Histogram({
  name: 'devpilot_runner_restore_duration_seconds',
  help: 'Run time of a restore attempt on this runner, from claim to the recorded terminal state.',
  labelNames: ['kind', 'status'],
  buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800],
  registers: [registry],
})
const bytes = new Counter({
  name: 'devpilot_runner_restored_bytes_total',
  help: 'Artifact bytes streamed out of destinations into restores (a retried attempt streams them again).',
  registers: [registry],
})
const inFlight = new Gauge({
  name: 'devpilot_runner_restores_in_flight',
  help: 'Restores this runner is performing right now.',
  labelNames: ['kind'],
  registers: [registry],
})
const verifications = new Counter({
  name: 'devpilot_runner_verifications_total',
  help: 'Verifications of restored data before the swap, by outcome (passed, failed, skipped) and whether the restore was a drill.',
  labelNames: ['status', 'drill'],
  registers: [registry],
})
const verificationDuration = new Histogram({
  name: 'devpilot_runner_verification_duration_seconds',
  help: 'Time spent verifying restored data (row counts and plan checks) before the swap.',
  buckets: [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
  registers: [registry],
})
const queueDepth = registerQueueDepthMetric(registry)
for (const kind of ['database', 'files'] as const) inFlight.set({ kind }, 0)

export const METRICS_CONTENT_TYPE = registry.contentType

export function restoreKind(target: { path: string | null }): RestoreKind {
  return target.path ? 'files' : 'database'
}

/** Runs one restore attempt, counted in devpilot_runner_restores_in_flight while it runs. */
export async function countInFlight<T>(kind: RestoreKind, run: () => Promise<T>): Promise<T> {
  inFlight.inc({ kind })
  try {
    return await run()
  } finally {
    inFlight.dec({ kind })
  }
}

/**
 * A restore reached a terminal state that this runner recorded. `run` is given when this runner
 * performed the attempt (`startedAtMs` from performance.now() at its start); a restore failed
 * before it ran (destination gone, runner_lost) has no duration.
 */
export function restoreFinished(status: 'completed' | 'failed', errorCode: string | null, run?: { kind: RestoreKind; startedAtMs: number }): void {
  finished.inc({ status, error_code: errorCode ?? 'none' })
  if (run) duration.observe({ kind: run.kind, status }, (performance.now() - run.startedAtMs) / 1000)
}

/** Bytes newly read from an artifact; a negative delta (a stream opened again) counts nothing. */
export function countRestoredBytes(delta: number): void {
  if (delta > 0) bytes.inc(delta)
}

/** Reads the database-derived gauge, then renders every metric in the text exposition format. */
export async function renderMetrics(sql: Sql, log: Logger): Promise<string> {
  try {
    await queueDepth.refresh(sql)
  } catch (error) {
    // No stale numbers: the series disappears until the database answers again.
    queueDepth.reset()
    log.warn({ err: error }, 'metrics: could not read the queue depth')
  }
  return registry.metrics()
}

/** A verification outcome was recorded; `seconds` is how long it ran (none when skipped). */
export function verificationFinished(status: 'passed' | 'failed' | 'skipped', drill: boolean, seconds?: number): void {
  verifications.inc({ status, drill: String(drill) })
  if (seconds !== undefined) verificationDuration.observe(seconds)
}
