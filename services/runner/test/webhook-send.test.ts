// One delivery attempt against real HTTP servers on loopback: the connection goes to exactly the
// address the SSRF guard checked, a redirect is a failed attempt and is not followed, a private
// address is refused before anything is sent, and a receiver that never answers costs at most the
// timeout. Where a test needs a resolver that answers a made-up name (no DNS server can be set up
// here), it passes a stand-in `lookup`, and says so.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { HostLookup } from '@devpilot/contracts'
import type { Teardown } from '@devpilot/devenv/testing'
import t from 'tap'
import { sendWebhook } from '../src/webhooks/send-webhook.js'

interface Receiver {
  url: string
  port: number
  requests: Array<{ method: string; url: string; host: string; body: string }>
}

async function receiver(t: Teardown, answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<Receiver> {
  const requests: Receiver['requests'] = []
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', host: req.headers.host ?? '', body })
      answer(req, res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, port, requests }
}

const base = { headers: { 'content-type': 'application/json' }, body: '{"type":"restore.completed"}', timeoutMs: 5_000 }

t.test('a 2xx answer is a delivery; the body arrives as sent', async (t) => {
  const r = await receiver(t, (_req, res) => res.writeHead(204).end())
  const result = await sendWebhook({ ...base, url: `${r.url}/hook`, allowPrivateNetworks: true })
  t.same(result, { statusCode: 204, error: null, delivered: true })
  t.match(r.requests, [{ method: 'POST', url: '/hook', body: base.body }])
})

t.test('a redirect is a failed attempt and is not followed', async (t) => {
  const target = await receiver(t, (_req, res) => res.writeHead(200).end())
  const r = await receiver(t, (_req, res) => res.writeHead(302, { location: `${target.url}/elsewhere` }).end())
  const result = await sendWebhook({ ...base, url: `${r.url}/hook`, allowPrivateNetworks: true })
  t.equal(result.delivered, false)
  t.equal(result.statusCode, 302)
  t.match(result.error, /redirect \(302\), which is not followed/)
  t.equal(target.requests.length, 0, 'the redirect target got nothing')
})

t.test('an answer of 500 is a failed attempt carrying the status', async (t) => {
  const r = await receiver(t, (_req, res) => res.writeHead(500).end('boom'))
  t.same(await sendWebhook({ ...base, url: r.url, allowPrivateNetworks: true }), { statusCode: 500, error: 'the receiver answered 500', delivered: false })
})

t.test('loopback receivers are refused before anything is sent unless private networks are allowed', async (t) => {
  const r = await receiver(t, (_req, res) => res.writeHead(204).end())
  for (const url of [`${r.url}/hook`, `http://localhost:${r.port}/hook`]) {
    const result = await sendWebhook({ ...base, url, allowPrivateNetworks: false })
    t.equal(result.delivered, false, url)
    t.equal(result.statusCode, null, url)
    t.match(result.error, /^not sent: .* loopback address; webhooks may only reach public addresses/, url)
  }
  t.equal(r.requests.length, 0, 'the receiver got nothing')
})

t.test('the connection goes to the address that was checked, resolved once', async (t) => {
  const r = await receiver(t, (_req, res) => res.writeHead(200).end())
  // Stand-in for a DNS server: `.invalid` never resolves for real (RFC 2606), so a request that
  // arrives can only have used the answer this lookup gave the guard.
  const asked: string[] = []
  const lookup: HostLookup = async (hostname) => {
    asked.push(hostname)
    return [{ address: '127.0.0.1', family: 4 }]
  }
  const result = await sendWebhook({ ...base, url: `http://receiver.invalid:${r.port}/hook`, allowPrivateNetworks: true, lookup })
  t.same(result, { statusCode: 200, error: null, delivered: true })
  t.same(asked, ['receiver.invalid'], 'resolved exactly once')
  t.match(r.requests, [{ host: `receiver.invalid:${r.port}` }], 'the Host header keeps the name')

  // A name that resolves inward (DNS rebinding of a once-public name) is refused at delivery time.
  const inward: HostLookup = async () => [
    { address: '203.0.113.7', family: 4 },
    { address: '10.1.2.3', family: 4 },
  ]
  const refused = await sendWebhook({ ...base, url: `http://rebound.invalid:${r.port}/hook`, allowPrivateNetworks: false, lookup: inward })
  t.match(refused, { delivered: false, statusCode: null, error: /rebound\.invalid resolves to 10\.1\.2\.3, which is a private address/ })
  t.equal(r.requests.length, 1, 'nothing more was sent')
})

t.test('a receiver that never answers costs one timeout, recorded as such', async (t) => {
  const r = await receiver(t, () => {})
  const before = Date.now()
  const result = await sendWebhook({ ...base, url: r.url, allowPrivateNetworks: true, timeoutMs: 300 })
  t.same(result, { statusCode: null, error: 'no answer within 0.3 s (timed out)', delivered: false })
  t.ok(Date.now() - before < 30_000, 'it returned (bounded by the timeout, not by the receiver)')
})

t.test('a stop signal abandons an attempt in flight', async (t) => {
  const r = await receiver(t, () => {})
  const stop = new AbortController()
  const pending = sendWebhook({ ...base, url: r.url, allowPrivateNetworks: true, timeoutMs: 60_000, signal: stop.signal })
  while (r.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))
  stop.abort()
  t.same(await pending, { statusCode: null, error: 'abandoned: the runner stopped during the attempt', delivered: false })
})

t.test('a refused connection is a failed attempt naming the address', async (t) => {
  // Port 1 on loopback: nothing listens there.
  const result = await sendWebhook({ ...base, url: 'http://127.0.0.1:1/hook', allowPrivateNetworks: true })
  t.match(result, { delivered: false, statusCode: null, error: /connection refused by 127\.0\.0\.1:1/ })
})
