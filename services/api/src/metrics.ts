// Prometheus metrics of the API, one registry per app: HTTP requests by route template, method and
// status; restore requests by outcome; and gauges read from the database at scrape time (live
// restores per status, waiting restore jobs), each through an index, so a scrape costs the same
// however many restores have finished. Route labels are templates (`/v1/restores/:id`), never raw
// URLs, so the number of series stays bounded whatever clients send.
import { countLiveRestores, type Database, type LiveRestoreCounts } from '@devpilot/db'
import { registerQueueDepthMetric } from '@devpilot/observability'
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import { toProblem } from './problem.js'

export interface ApiMetrics {
  contentType: string
  /** Reads the database-derived gauges, then renders every metric in the text exposition format. */
  render(): Promise<string>
  /** Counts requests and restore starts; call once on the root app, before routes are added. */
  instrument(app: FastifyInstance): void
}

/** The operations that start a restore, by `METHOD route`, and the kind each starts. */
const RESTORE_STARTS: Record<string, 'backup' | 'point_in_time'> = {
  'POST /v1/backups/:id/restores': 'backup',
  'POST /v1/plans/:id/point-in-time-restores': 'point_in_time',
}

const LIVE_STATUSES: ReadonlyArray<keyof LiveRestoreCounts> = ['pending', 'in_progress']

export function createApiMetrics(database: Database, log: FastifyBaseLogger): ApiMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const labelNames = ['method', 'route', 'status_code'] as const
  const requests = new Counter({ name: 'devpilot_api_http_requests_total', help: 'HTTP requests answered.', labelNames, registers: [registry] })
  const duration = new Histogram({
    name: 'devpilot_api_http_request_duration_seconds',
    help: 'Time from receiving a request to the end of its response.',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })
  const restoreStarts = new Counter({
    name: 'devpilot_api_restores_started_total',
    help: 'Restore requests by kind and outcome: accepted (202), replayed (idempotent 200), or the problem code that refused it.',
    labelNames: ['kind', 'outcome'],
    registers: [registry],
  })
  const restoresByStatus = new Gauge({
    name: 'devpilot_restores',
    help: 'Restores waiting (pending) or running (in_progress) over all workspaces, read from the database at scrape time. Finished restores: devpilot_runner_restores_finished_total.',
    labelNames: ['status'],
    registers: [registry],
  })
  const queueDepth = registerQueueDepthMetric(registry)
  const problemCodes = new WeakMap<FastifyRequest, string>()

  return {
    contentType: registry.contentType,
    async render() {
      try {
        const [live] = await Promise.all([countLiveRestores(database.db), queueDepth.refresh(database.sql)])
        for (const status of LIVE_STATUSES) restoresByStatus.set({ status }, live[status])
      } catch (error) {
        // No stale numbers: the database-derived series disappear until the database answers again.
        restoresByStatus.reset()
        queueDepth.reset()
        log.warn({ err: error }, 'metrics: could not read the database-derived gauges')
      }
      return registry.metrics()
    },
    instrument(app) {
      app.addHook('onError', async (request, _reply, error) => {
        problemCodes.set(request, toProblem(error, request).problem.code)
      })
      app.addHook('onResponse', async (request, reply) => {
        const route = request.routeOptions.url ?? 'unmatched'
        const labels = { method: request.method, route, status_code: String(reply.statusCode) }
        requests.inc(labels)
        duration.observe(labels, reply.elapsedTime / 1000)
        const kind = RESTORE_STARTS[`${request.method} ${route}`]
        if (kind === undefined) return
        const outcome =
          reply.statusCode === 202 ? 'accepted' : reply.statusCode === 200 ? 'replayed' : (problemCodes.get(request) ?? `status_${reply.statusCode}`)
        restoreStarts.inc({ kind, outcome })
      })
    },
  }
}
