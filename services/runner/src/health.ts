// Liveness and readiness on METRICS_HOST:METRICS_PORT (metrics join them in issue 6):
// /healthz answers while the process runs; /readyz answers 503 while the product database is
// unreachable or the runner is not taking work (starting or shutting down).
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface HealthServer {
  port: number
  close(): Promise<void>
}

export async function startHealthServer(options: { host: string; port: number; ready: () => Promise<boolean> }): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const reply = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    if (req.url === '/healthz') return reply(200, { status: 'ok' })
    if (req.url === '/readyz') {
      options.ready().then(
        (ok) => reply(ok ? 200 : 503, { status: ok ? 'ready' : 'not_ready' }),
        () => reply(503, { status: 'not_ready' }),
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
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
