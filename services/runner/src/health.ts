// Liveness, readiness and metrics on METRICS_HOST:METRICS_PORT. /healthz answers while the process
// runs; /readyz answers 503 unless the product database answers within a deadline AND the pg-boss
// worker is started and not stopping (so 503 from the first moment of a SIGTERM); /metrics is the
// Prometheus text exposition (metrics.ts), behind METRICS_TOKEN when one is configured.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pingDatabase, type Sql } from '@devpilot/db'
import { bearerMatches } from '@devpilot/secrets'
import type { Worker } from './worker.js'

const READY_TIMEOUT_MS = 2_000

export interface HealthServer {
  port: number
  close(): Promise<void>
}

export interface HealthServerOptions {
  host: string
  port: number
  ready: () => Promise<boolean>
  metrics: () => Promise<{ contentType: string; body: string }>
  /** When set, /metrics answers 401 unless the request carries `Authorization: Bearer <token>`. */
  metricsToken?: string | undefined
}

/** The runner's readiness: taking work, and the product database answers. */
export function runnerReadiness(worker: Pick<Worker, 'ready'>, sql: Sql): () => Promise<boolean> {
  return async () => {
    if (!worker.ready()) return false
    await pingDatabase(sql, READY_TIMEOUT_MS)
    return true
  }
}

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const reply = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    const path = new URL(req.url ?? '/', 'http://runner').pathname
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, { status: 'method_not_allowed' })
    if (path === '/healthz') return reply(200, { status: 'ok' })
    if (path === '/readyz') {
      options.ready().then(
        (ok) => reply(ok ? 200 : 503, { status: ok ? 'ready' : 'not_ready' }),
        () => reply(503, { status: 'not_ready' }),
      )
      return
    }
    if (path === '/metrics') {
      if (options.metricsToken !== undefined && !bearerMatches(req.headers.authorization, options.metricsToken)) {
        return reply(401, { status: 'unauthorized' })
      }
      options.metrics().then(
        ({ contentType, body }) => {
          res.writeHead(200, { 'content-type': contentType })
          res.end(body)
        },
        () => reply(500, { status: 'metrics_failed' }),
      )
      return
    }
    reply(404, { status: 'not_found' })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => resolve())
  })
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        // Idle keep-alive connections (a scraper's) must not hold the shutdown up.
        server.closeIdleConnections()
      }),
  }
}
