// One delivery attempt over HTTP(S). The receiver's host is resolved once and checked by the SSRF
// guard; the connection goes to exactly that checked address (the request's `lookup` answers with
// it, so nothing resolves the name again: no DNS rebinding between check and connect). TLS still
// verifies the certificate against the host name. Redirects are never followed (a redirect is a
// failed attempt), and the whole attempt, answer included, is bounded by a timeout.
import http from 'node:http'
import https from 'node:https'
import type { LookupFunction } from 'node:net'
import { checkWebhookTarget, type HostLookup, type ResolvedAddress } from '@devpilot/contracts'

export interface WebhookRequest {
  url: string
  headers: Record<string, string>
  body: string
  timeoutMs: number
  allowPrivateNetworks: boolean
  /** The resolver; the system's by default (tests stand in for a DNS server with their own). */
  lookup?: HostLookup
  /** Aborted when the runner stops: the attempt is abandoned (and retried later, by any runner). */
  signal?: AbortSignal
}

export interface WebhookAttemptResult {
  statusCode: number | null
  error: string | null
  delivered: boolean
}

/** A `lookup` for http.request that answers with the address already checked, whatever name it is asked. */
function pinnedLookup(target: ResolvedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }])
    else callback(null, target.address, target.family)
  }
}

function describeError(error: unknown, target: ResolvedAddress, port: string): string {
  const code = (error as { code?: string }).code
  const where = `${target.family === 6 ? `[${target.address}]` : target.address}:${port}`
  if (code === 'ECONNREFUSED') return `connection refused by ${where}`
  if (code === 'ECONNRESET') return `connection reset by ${where} before an answer`
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `${where} is unreachable (${code})`
  const message = error instanceof Error ? error.message : String(error)
  return code ? `${code}: ${message}` : message
}

export async function sendWebhook(request: WebhookRequest): Promise<WebhookAttemptResult> {
  const url = new URL(request.url)
  const check = await checkWebhookTarget(url, { allowPrivateNetworks: request.allowPrivateNetworks, ...(request.lookup ? { lookup: request.lookup } : {}) })
  if (!check.ok) return { statusCode: null, error: `not sent: ${check.reason}`, delivered: false }
  const target = check.addresses[0] as ResolvedAddress
  const port = url.port || (url.protocol === 'https:' ? '443' : '80')
  const client = url.protocol === 'https:' ? https : http
  const seconds = request.timeoutMs / 1000

  return new Promise<WebhookAttemptResult>((resolve) => {
    let settled = false
    const settle = (result: WebhookAttemptResult) => {
      if (settled) return
      settled = true
      resolve(result)
    }
    const req = client.request(url, {
      method: 'POST',
      headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
      // A fresh connection each attempt, to the pinned address: a pooled socket could be another one.
      agent: false,
      lookup: pinnedLookup(target),
    })
    // Bounds the answer and the reading of its body; a no-op once the exchange closed.
    const timer = setTimeout(() => {
      settle({ statusCode: null, error: `no answer within ${seconds} s (timed out)`, delivered: false })
      req.destroy()
    }, request.timeoutMs)
    const onAbort = () => {
      settle({ statusCode: null, error: 'abandoned: the runner stopped during the attempt', delivered: false })
      req.destroy()
    }
    request.signal?.addEventListener('abort', onAbort, { once: true })
    req.on('close', () => {
      clearTimeout(timer)
      request.signal?.removeEventListener('abort', onAbort)
    })
    if (request.signal?.aborted) onAbort()
    req.on('response', (res) => {
      const status = res.statusCode ?? 0
      // Only the status matters; the body is read away (bounded by the same timeout) and dropped.
      res.resume()
      res.on('error', () => {})
      if (status >= 200 && status < 300) settle({ statusCode: status, error: null, delivered: true })
      else if (status >= 300 && status < 400) {
        settle({
          statusCode: status,
          error: `the receiver answered with a redirect (${status}), which is not followed; point the webhook at the final URL`,
          delivered: false,
        })
      } else settle({ statusCode: status, error: `the receiver answered ${status}`, delivered: false })
    })
    req.on('error', (error) => settle({ statusCode: null, error: describeError(error, target, port), delivered: false }))
    req.end(request.body)
  })
}
