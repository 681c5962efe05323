// /v1/webhooks through the generated client: admins only (other roles 403, other workspaces 404),
// the secret shown once and stored encrypted, soft delete, keyset pages, the delivery log, and
// the SSRF guard: URLs that are not http(s) or whose host is (or resolves to) a loopback, private,
// link-local, unspecified or multicast address are refused with 400 validation_failed, unless
// WEBHOOK_ALLOW_PRIVATE_NETWORKS=true. Public receivers are written as IP literals (documentation
// range 203.0.113.0/24) so no test depends on outside DNS.
import { decryptWebhookSecret, getWebhook } from '@devpilot/db'
import { seedWorkspace } from '@devpilot/devenv/testing'
import t from 'tap'
import { seedTeam, startApi } from './support/api-harness.js'

const h = await startApi(t)
const team = await seedTeam(h)
const admin = h.client(team.admin.token)
const operator = h.client(team.operator.token)
const viewer = h.client(team.viewer.token)
const stranger = h.client((await seedWorkspace(h.database.db)).token)

const PUBLIC_URL = 'https://203.0.113.10/hooks/restore'

async function created(body: {
  url: string
  events: Array<'restore.started' | 'restore.completed' | 'restore.failed' | 'drill.completed' | 'drill.failed'>
  enabled?: boolean
}) {
  const result = await admin.POST('/v1/webhooks', { body })
  if (result.response.status !== 201 || !result.data) throw new Error(`create webhook: ${result.response.status} ${JSON.stringify(result.error)}`)
  return result.data
}

t.test('an admin creates a webhook: 201 with the secret once, stored encrypted, never in another answer', async (t) => {
  const hook = await created({ url: PUBLIC_URL, events: ['restore.completed', 'restore.failed'] })
  t.match(hook, { url: PUBLIC_URL, events: ['restore.completed', 'restore.failed'], enabled: true })
  t.match(hook.secret, /^whsec_[A-Za-z0-9+/]+=*$/)
  t.ok(Buffer.from(hook.secret.slice('whsec_'.length), 'base64').length >= 24, 'at least 24 random bytes')

  const [raw] = await h.database.sql<{ c: string }[]>`SELECT secret_ciphertext AS c FROM webhooks WHERE id = ${hook.id}`
  t.match(raw?.c, /^v1\./, 'encrypted at rest')
  t.notOk(raw?.c.includes(hook.secret.slice(6, 20)), 'the ciphertext does not contain the secret')
  t.equal(decryptWebhookSecret(h.box, hook.id, raw?.c ?? ''), hook.secret, 'it decrypts, bound to the row id')

  const one = await admin.GET('/v1/webhooks/{id}', { params: { path: { id: hook.id } } })
  t.equal(one.response.status, 200)
  const { secret, ...withoutSecret } = hook
  t.same(one.data, withoutSecret, 'GET shows everything but the secret')
  const list = await admin.GET('/v1/webhooks')
  const patched = await admin.PATCH('/v1/webhooks/{id}', { params: { path: { id: hook.id } }, body: { enabled: false } })
  for (const [what, body] of [
    ['GET one', one.data],
    ['GET list', list.data],
    ['PATCH', patched.data],
  ] as const) {
    const text = JSON.stringify(body)
    t.notOk(text.includes(secret) || text.includes('secret'), `${what}: no secret`)
  }
  t.ok(list.data?.items.some((w) => w.id === hook.id))
  t.match(patched.data, { id: hook.id, enabled: false })
})

t.test('viewers and operators get 403 on every webhook endpoint; other workspaces get 404', async (t) => {
  const hook = await created({ url: PUBLIC_URL, events: ['restore.started'] })
  const path = { params: { path: { id: hook.id } } }
  for (const [role, client] of [
    ['viewer', viewer],
    ['operator', operator],
  ] as const) {
    t.equal((await client.POST('/v1/webhooks', { body: { url: PUBLIC_URL, events: ['restore.failed'] } })).response.status, 403, `${role}: create`)
    t.equal((await client.GET('/v1/webhooks')).response.status, 403, `${role}: list`)
    t.equal((await client.GET('/v1/webhooks/{id}', path)).response.status, 403, `${role}: get`)
    t.equal((await client.PATCH('/v1/webhooks/{id}', { ...path, body: { enabled: false } })).response.status, 403, `${role}: patch`)
    t.equal((await client.DELETE('/v1/webhooks/{id}', path)).response.status, 403, `${role}: delete`)
    t.equal((await client.GET('/v1/webhooks/{id}/deliveries', path)).response.status, 403, `${role}: deliveries`)
  }
  t.equal((await stranger.GET('/v1/webhooks/{id}', path)).response.status, 404, 'another workspace: get')
  t.equal((await stranger.PATCH('/v1/webhooks/{id}', { ...path, body: { enabled: false } })).response.status, 404, 'another workspace: patch')
  t.equal((await stranger.DELETE('/v1/webhooks/{id}', path)).response.status, 404, 'another workspace: delete')
  t.equal((await stranger.GET('/v1/webhooks/{id}/deliveries', path)).response.status, 404, 'another workspace: deliveries')
  t.notOk(
    (await stranger.GET('/v1/webhooks')).data?.items.some((w) => w.id === hook.id),
    'another workspace: not listed',
  )
  t.match(await getWebhook(h.database.db, { workspaceId: team.workspaceId, id: hook.id }), { enabled: true }, 'nothing changed')
})

t.test('PATCH changes url, events and enabled; DELETE is soft', async (t) => {
  const hook = await created({ url: PUBLIC_URL, events: ['restore.started'] })
  const path = { params: { path: { id: hook.id } } }
  const patched = await admin.PATCH('/v1/webhooks/{id}', { ...path, body: { url: 'http://203.0.113.11:8080/x', events: ['drill.completed', 'drill.failed'] } })
  t.match(patched.data, { url: 'http://203.0.113.11:8080/x', events: ['drill.completed', 'drill.failed'], enabled: true })
  const [raw] = await h.database.sql<{ c: string }[]>`SELECT secret_ciphertext AS c FROM webhooks WHERE id = ${hook.id}`
  t.equal(decryptWebhookSecret(h.box, hook.id, raw?.c ?? ''), hook.secret, 'the secret is unchanged')

  t.equal((await admin.DELETE('/v1/webhooks/{id}', path)).response.status, 204)
  t.equal((await admin.GET('/v1/webhooks/{id}', path)).response.status, 404)
  t.equal((await admin.GET('/v1/webhooks/{id}/deliveries', path)).response.status, 404)
  t.equal((await admin.DELETE('/v1/webhooks/{id}', path)).response.status, 404, 'second delete is 404')
  t.notOk((await admin.GET('/v1/webhooks', { params: { query: { limit: 100 } } })).data?.items.some((w) => w.id === hook.id))
  const [row] = await h.database.sql<{ deleted: boolean }[]>`SELECT deleted_at IS NOT NULL AS deleted FROM webhooks WHERE id = ${hook.id}`
  t.equal(row?.deleted, true, 'the row stays for the delivery log')
})

t.test('webhooks list in keyset pages, newest first', async (t) => {
  const ws = await seedWorkspace(h.database.db)
  const client = h.client(ws.token)
  const ids: string[] = []
  for (let i = 0; i < 3; i++) {
    const r = await client.POST('/v1/webhooks', { body: { url: `https://203.0.113.${20 + i}/`, events: ['restore.failed'] } })
    ids.push(r.data?.id ?? '')
  }
  const first = await client.GET('/v1/webhooks', { params: { query: { limit: 2 } } })
  t.same(
    first.data?.items.map((w) => w.id),
    [ids[2], ids[1]],
  )
  t.type(first.data?.nextCursor, 'string')
  const second = await client.GET('/v1/webhooks', { params: { query: { limit: 2, cursor: first.data?.nextCursor ?? '' } } })
  t.same(
    second.data?.items.map((w) => w.id),
    [ids[0]],
  )
  t.equal(second.data?.nextCursor, null)
})

t.test('the delivery log lists attempts newest first, without secret, body or signature', async (t) => {
  const hook = await created({ url: PUBLIC_URL, events: ['restore.completed'] })
  // Attempts are written by the runner (services/runner, test/webhooks.test.ts delivers for real);
  // here two rows are written as it would, to check the listing itself.
  await h.database.sql`
    INSERT INTO webhook_deliveries (workspace_id, webhook_id, message_id, event, attempt, status_code, error, delivered_at, created_at)
    VALUES (${team.workspaceId}, ${hook.id}, 'm1', 'restore.completed', 1, 500, 'the receiver answered 500', NULL, now() - interval '1 minute'),
           (${team.workspaceId}, ${hook.id}, 'm1', 'restore.completed', 2, 204, NULL, now(), now())`
  const page = await admin.GET('/v1/webhooks/{id}/deliveries', { params: { path: { id: hook.id }, query: { limit: 1 } } })
  t.equal(page.response.status, 200)
  t.match(page.data?.items, [{ event: 'restore.completed', attempt: 2, statusCode: 204, error: null, deliveredAt: /^\d{4}-.*Z$/ }])
  const rest = await admin.GET('/v1/webhooks/{id}/deliveries', { params: { path: { id: hook.id }, query: { cursor: page.data?.nextCursor ?? '' } } })
  t.match(rest.data?.items, [{ attempt: 1, statusCode: 500, error: 'the receiver answered 500', deliveredAt: null }])
  t.same(Object.keys(rest.data?.items[0] ?? {}).sort(), ['attempt', 'deliveredAt', 'error', 'event', 'id', 'statusCode'])
  t.notOk(JSON.stringify([page.data, rest.data]).includes(hook.secret), 'no secret in the log')
})

const REFUSED: Array<[string, RegExp]> = [
  ['ftp://203.0.113.10/hook', /must be an http:\/\/ or https:\/\/ URL/],
  ['http://127.0.0.1:8080/hook', /127\.0\.0\.1 is a loopback address/],
  ['http://10.0.0.1/hook', /10\.0\.0\.1 is a private address/],
  ['http://172.16.5.4/hook', /private address/],
  ['http://192.168.1.1/hook', /private address/],
  ['http://100.64.0.1/hook', /private address/],
  ['http://[::1]/hook', /::1 is a loopback address/],
  ['http://169.254.169.254/latest/meta-data', /link-local address/],
  ['http://[fe80::1]/hook', /link-local address/],
  ['http://[fd12:3456::1]/hook', /private address/],
  ['http://[::ffff:127.0.0.1]/hook', /loopback address/],
  ['http://[::ffff:10.1.2.3]/hook', /private address/],
  ['http://0.0.0.0/hook', /unspecified address/],
  ['http://[::]/hook', /unspecified address/],
  ['http://224.0.0.1/hook', /multicast address/],
  ['http://localhost:3000/hook', /localhost resolves to .*, which is a loopback address/],
  ['https://user:pw@203.0.113.10/hook', /credentials in the URL/],
  ['https://no-such-host.invalid/hook', /does not resolve/],
]

t.test('receiver URLs that are not http(s) or not public are refused with 400 validation_failed', async (t) => {
  for (const [url, reason] of REFUSED) {
    const result = await admin.POST('/v1/webhooks', { body: { url, events: ['restore.failed'] } })
    t.equal(result.response.status, 400, `${url}: 400`)
    t.equal(result.error?.code, 'validation_failed', `${url}: validation_failed`)
    t.match(result.error?.errors, [{ path: 'body.url', message: reason }], `${url}: says why`)
  }
  const hook = await created({ url: PUBLIC_URL, events: ['restore.failed'] })
  const patch = await admin.PATCH('/v1/webhooks/{id}', { params: { path: { id: hook.id } }, body: { url: 'http://127.0.0.1/x' } })
  t.equal(patch.response.status, 400, 'PATCH checks a new URL the same way')
  t.match(patch.error, { code: 'validation_failed', errors: [{ path: 'body.url', message: /loopback/ }] })
  t.match((await admin.GET('/v1/webhooks/{id}', { params: { path: { id: hook.id } } })).data, { url: PUBLIC_URL }, 'unchanged')
  const [{ n } = { n: -1 }] = await h.database.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM webhooks WHERE url LIKE '%127.0.0.1%' OR url LIKE 'ftp:%'`
  t.equal(n, 0, 'nothing refused was stored')
})

t.test('WEBHOOK_ALLOW_PRIVATE_NETWORKS=true accepts loopback and private receivers', async (t) => {
  const open = await startApi(t, { WEBHOOK_ALLOW_PRIVATE_NETWORKS: true })
  const client = open.client((await seedWorkspace(open.database.db)).token)
  for (const url of ['http://127.0.0.1:8080/hook', 'http://localhost:8080/hook', 'http://10.0.0.1/hook', 'http://[::1]:9000/']) {
    t.equal((await client.POST('/v1/webhooks', { body: { url, events: ['restore.completed'] } })).response.status, 201, url)
  }
  t.equal((await client.POST('/v1/webhooks', { body: { url: 'ftp://127.0.0.1/', events: ['restore.completed'] } })).response.status, 400, 'still only http(s)')
})
