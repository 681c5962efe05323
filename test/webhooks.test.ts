// Webhooks end to end: the real API and two real runners (WEBHOOK_ALLOW_PRIVATE_NETWORKS=true, so
// receivers may listen on loopback; WEBHOOK_RETRY_DELAY_SECONDS=1, so retries come after 1-2 s,
// 2-4 s, ...), real file restores through the API, and real HTTP receivers that verify each
// delivery's Standard Webhooks signature with the secret the API showed once. Receivers that
// answer 500 at first and one that never answers prove a receiver's trouble never touches a restore.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Schemas } from '@devpilot/api-client'
import { buildTree, fileSize, makeTar, scratchDir, sha256File, startSystem, type Teardown, uniqueName, waitFor } from '@devpilot/devenv/testing'
import t from 'tap'

type Restore = Schemas['Restore']
type WebhookEvent = Schemas['Webhook']['events'][number]

// Three services and several restores with real retries (backoff) and a 10 s timeout: more than
// the default per-file limit on a loaded machine.
t.setTimeout(600_000)
const system = await startSystem(t, { env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_RETRY_DELAY_SECONDS: '1', WEBHOOK_TIMEOUT_SECONDS: '10' } })
const admin = system.client(system.admin.token)
const operator = system.client(system.operator.token)

function expectStatus<T>(result: { data?: T; error?: unknown; response: Response }, status: number, what: string): T {
  if (result.response.status !== status || result.data === undefined) {
    throw new Error(`${what}: expected ${status}, got ${result.response.status}: ${JSON.stringify(result.error)}`)
  }
  return result.data
}

/**
 * A receiver's check, written from the Standard Webhooks specification (as in docs/api.md), not
 * with the product's own signing code: HMAC-SHA256 over "id.timestamp.body", keyed with the
 * base64-decoded part of the secret after whsec_, compared with each "v1,<base64>" of the header.
 */
function verifyWebhookSignature(secret: string, headers: { id: string; timestamp: string; signature: string }, body: string): boolean {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64')
  const expected = createHmac('sha256', key).update(`${headers.id}.${headers.timestamp}.${body}`).digest()
  return headers.signature.split(' ').some((part) => {
    const [version, mac] = part.split(',')
    const given = Buffer.from(mac ?? '', 'base64')
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected)
  })
}

interface Delivery {
  id: string
  timestamp: string
  signature: string
  body: string
  receivedAt: number
}

/** A real HTTP receiver on loopback; `answer` decides each response (or none) from the attempt's index. */
async function receiver(t: Teardown, answer: (index: number, res: ServerResponse, req: IncomingMessage) => void) {
  const deliveries: Delivery[] = []
  const open = new Set<ServerResponse>()
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', () => {
      const header = (name: string) => String(req.headers[name] ?? '')
      deliveries.push({
        id: header('webhook-id'),
        timestamp: header('webhook-timestamp'),
        signature: header('webhook-signature'),
        body,
        receivedAt: Date.now(),
      })
      open.add(res)
      res.on('close', () => open.delete(res))
      answer(deliveries.length - 1, res, req)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, deliveries, open }
}

async function createWebhook(url: string, events: WebhookEvent[]) {
  return expectStatus(await admin.POST('/v1/webhooks', { body: { url, events } }), 201, 'create webhook')
}

async function deliveriesOf(webhookId: string) {
  return expectStatus(await admin.GET('/v1/webhooks/{id}/deliveries', { params: { path: { id: webhookId }, query: { limit: 100 } } }), 200, 'list deliveries')
    .items
}

// A files plan with a tar backup in a local destination: every test restores it to a new path.
const destinationDir = join(system.destinationRoot, uniqueName('files'))
mkdirSync(destinationDir)
const destination = expectStatus(
  await admin.POST('/v1/destinations', { body: { name: uniqueName('local'), type: 'local', path: destinationDir } }),
  201,
  'register local destination',
)
const tree = join(scratchDir(t, 'webhook-tree'), 'www')
mkdirSync(tree)
buildTree(tree)
const archive = join(destinationDir, 'www.tar')
await makeTar(tree, 'tar', archive)
const plan = expectStatus(
  await admin.POST('/v1/plans', { body: { name: uniqueName('www'), type: 'files', sourcePath: tree, destinationId: destination.id } }),
  201,
  'create files plan',
)
const backup = expectStatus(
  await admin.POST('/v1/backups', {
    body: { planId: plan.id, format: 'tar', artifactKey: 'www.tar', status: 'completed', sizeBytes: fileSize(archive), sha256: await sha256File(archive) },
  }),
  201,
  'register backup',
)

async function restoreToNewPath(): Promise<Restore> {
  const body = { targetPath: join(system.restoreRoot, uniqueName('restored')) }
  return expectStatus(await operator.POST('/v1/backups/{id}/restores', { params: { path: { id: backup.id } }, body }), 202, 'start restore')
}

async function waitFinished(restoreId: string): Promise<Restore> {
  return waitFor(
    async () => expectStatus(await operator.GET('/v1/restores/{id}', { params: { path: { id: restoreId } } }), 200, 'get restore'),
    (r) => r.status === 'completed' || r.status === 'failed',
    { timeoutMs: 60_000, intervalMs: 50, what: `restore ${restoreId} to finish` },
  )
}

t.test("a real restore's started and completed events arrive signed with the secret shown at creation", async (t) => {
  const r = await receiver(t, (_i, res) => res.writeHead(204).end())
  const hook = await createWebhook(r.url, ['restore.started', 'restore.completed'])
  const restore = await restoreToNewPath()
  const done = await waitFinished(restore.id)
  t.equal(done.status, 'completed', `restore ended ${done.status}: ${JSON.stringify(done.error)}`)
  await waitFor(
    () => r.deliveries.length,
    (n) => n >= 2,
    { timeoutMs: 30_000, what: 'both events to arrive' },
  )

  const bodies = r.deliveries.map((d) => JSON.parse(d.body) as { type: string; timestamp: string; data: { restore: Restore } })
  t.same(bodies.map((b) => b.type).sort(), ['restore.completed', 'restore.started'])
  for (const [i, d] of r.deliveries.entries()) {
    t.ok(verifyWebhookSignature(hook.secret, d, d.body), `delivery ${i}: the signature verifies with the secret`)
    t.notOk(verifyWebhookSignature(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, d, d.body), `delivery ${i}: and not with another secret`)
    t.ok(Math.abs(Number(d.timestamp) - d.receivedAt / 1000) < 600, `delivery ${i}: webhook-timestamp is the attempt time in seconds`)
  }
  t.not(r.deliveries[0]?.id, r.deliveries[1]?.id, 'each event has its own webhook-id')
  const started = bodies.find((b) => b.type === 'restore.started')
  const completed = bodies.find((b) => b.type === 'restore.completed')
  t.match(started?.data.restore, { id: restore.id, status: 'in_progress', completedAt: null, error: null }, 'started: the restore as it was when it started')
  t.same(completed?.data.restore, done, 'completed: exactly the API record of the finished restore')
  t.equal(completed?.timestamp, done.completedAt, "completed: the body's timestamp is the moment of the transition")

  const log = await waitFor(
    () => deliveriesOf(hook.id),
    (items) => items.length >= 2,
    { timeoutMs: 10_000, what: 'the delivery log' },
  )
  t.match(
    log.map((d) => ({ event: d.event, attempt: d.attempt, statusCode: d.statusCode, error: d.error })).sort((a, b) => a.event.localeCompare(b.event)),
    [
      { event: 'restore.completed', attempt: 1, statusCode: 204, error: null },
      { event: 'restore.started', attempt: 1, statusCode: 204, error: null },
    ],
  )
  t.ok(
    log.every((d) => d.deliveredAt !== null),
    'both delivered',
  )
  const read = JSON.stringify([log, (await admin.GET('/v1/webhooks/{id}', { params: { path: { id: hook.id } } })).data, (await admin.GET('/v1/webhooks')).data])
  t.notOk(read.includes(hook.secret) || read.includes('secret'), 'the secret is in no later answer, deliveries included')
  expectStatus(await admin.PATCH('/v1/webhooks/{id}', { params: { path: { id: hook.id } }, body: { enabled: false } }), 200, 'disable')
})

t.test('a receiver answering 500 to the first two attempts gets the same message a third time, with backoff', async (t) => {
  const r = await receiver(t, (i, res) => res.writeHead(i < 2 ? 500 : 200).end(i < 2 ? 'not yet' : 'ok'))
  const hook = await createWebhook(r.url, ['restore.completed'])
  const restore = await restoreToNewPath()
  t.equal((await waitFinished(restore.id)).status, 'completed', 'the restore completed, whatever the receiver answers')
  const log = await waitFor(
    () => deliveriesOf(hook.id),
    (items) => items.some((d) => d.deliveredAt !== null),
    { timeoutMs: 60_000, what: 'the third attempt to succeed' },
  )
  t.match(
    log.map((d) => ({ attempt: d.attempt, statusCode: d.statusCode, error: d.error, delivered: d.deliveredAt !== null })),
    [
      { attempt: 3, statusCode: 200, error: null, delivered: true },
      { attempt: 2, statusCode: 500, error: 'the receiver answered 500', delivered: false },
      { attempt: 1, statusCode: 500, error: 'the receiver answered 500', delivered: false },
    ],
    'every attempt is in the log, newest first',
  )
  t.equal(r.deliveries.length, 3)
  t.equal(new Set(r.deliveries.map((d) => d.id)).size, 1, 'one webhook-id across the retries')
  t.equal(new Set(r.deliveries.map((d) => d.body)).size, 1, 'the same body every time')
  for (const d of r.deliveries) t.ok(verifyWebhookSignature(hook.secret, d, d.body), 'each attempt is signed for its own timestamp')
  const gaps = r.deliveries.slice(1).map((d, i) => d.receivedAt - (r.deliveries[i]?.receivedAt ?? 0))
  t.ok(
    gaps.every((g) => g >= 900),
    `retries waited at least the base delay (gaps ${gaps.join(', ')} ms)`,
  )
  expectStatus(await admin.PATCH('/v1/webhooks/{id}', { params: { path: { id: hook.id } }, body: { enabled: false } }), 200, 'disable')
})

t.test('a receiver that never answers: the restore completes meanwhile, the attempt is recorded as a timeout', async (t) => {
  const r = await receiver(t, () => {})
  const hook = await createWebhook(r.url, ['restore.started', 'restore.completed'])
  const restore = await restoreToNewPath()
  const done = await waitFinished(restore.id)
  t.equal(done.status, 'completed', 'the restore completed')
  const log = await waitFor(
    () => deliveriesOf(hook.id),
    (items) => items.some((d) => d.event === 'restore.started'),
    { timeoutMs: 60_000, what: 'the started delivery to time out' },
  )
  const timedOut = log.find((d) => d.event === 'restore.started')
  t.match(timedOut, { attempt: 1, statusCode: null, error: 'no answer within 10 s (timed out)', deliveredAt: null })
  const startedRequest = r.deliveries.find((d) => (JSON.parse(d.body) as { type: string }).type === 'restore.started')
  t.ok(startedRequest, 'the receiver got the started event and held it unanswered')
  t.ok(
    Date.parse(done.completedAt ?? '') < (startedRequest?.receivedAt ?? 0) + 10_000,
    'the restore completed while the receiver was still holding its started event (it never waited for it)',
  )
  expectStatus(await admin.PATCH('/v1/webhooks/{id}', { params: { path: { id: hook.id } }, body: { enabled: false } }), 200, 'disable')
})

t.test('dry runs and other events send nothing; a pending restore that fails sends restore.failed', async (t) => {
  const r = await receiver(t, (_i, res) => res.writeHead(204).end())
  const hook = await createWebhook(r.url, ['restore.failed'])
  // A restore into a path that already holds a file of the archive fails with target_not_empty.
  const restore = await restoreToNewPath()
  t.equal((await waitFinished(restore.id)).status, 'completed')
  const again = expectStatus(
    await operator.POST('/v1/backups/{id}/restores', { params: { path: { id: backup.id } }, body: { targetPath: restore.target.path ?? '' } }),
    202,
    'restore over it',
  )
  const failed = await waitFinished(again.id)
  t.equal(failed.error?.code, 'target_not_empty')
  await waitFor(
    () => r.deliveries.length,
    (n) => n >= 1,
    { timeoutMs: 30_000, what: 'the failed event' },
  )
  const bodies = r.deliveries.map((d) => JSON.parse(d.body) as { type: string; data: { restore: Restore } })
  t.same(
    bodies.map((b) => [b.type, b.data.restore.id]),
    [['restore.failed', again.id]],
    'only the subscribed event, only for the failed restore',
  )
  t.same(bodies[0]?.data.restore.error, failed.error)
  t.equal((await admin.DELETE('/v1/webhooks/{id}', { params: { path: { id: hook.id } } })).response.status, 204, 'deleted')
})
