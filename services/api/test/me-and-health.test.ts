// Operational endpoints, /v1/me, authentication and the problem+json error contract.
import { generateApiToken } from '@devpilot/secrets'
import t from 'tap'
import { seedTeam, startApi, startApiWithoutDatabase } from './support/api-harness.js'

const h = await startApi(t)
const team = await seedTeam(h)

t.test('healthz and readyz answer ok while the database is up', async (t) => {
  const health = await h.client().GET('/healthz')
  t.equal(health.response.status, 200)
  t.same(health.data, { status: 'ok' })
  const ready = await h.client().GET('/readyz')
  t.equal(ready.response.status, 200)
  t.same(ready.data, { status: 'ok' })
})

t.test('readyz answers 503 not_ready when the database is unreachable', async (t) => {
  const baseUrl = await startApiWithoutDatabase(t)
  const res = await fetch(`${baseUrl}/readyz`)
  t.equal(res.status, 503)
  t.match(res.headers.get('content-type'), /^application\/problem\+json/)
  const body = (await res.json()) as { code: string; status: number }
  t.equal(body.code, 'not_ready')
  t.equal(body.status, 503)
})

t.test('/v1/me returns the token user and workspace', async (t) => {
  const { data, response } = await h.client(team.operator.token).GET('/v1/me')
  t.equal(response.status, 200)
  t.same(data, {
    user: { id: team.operator.userId, email: team.operator.email, role: 'operator' },
    workspace: { id: team.workspaceId, slug: team.slug, name: team.slug },
  })
})

t.test('requests without a valid bearer token are 401 unauthorized problems', async (t) => {
  const missing = await h.client().GET('/v1/me')
  t.equal(missing.response.status, 401)
  t.match(missing.response.headers.get('content-type'), /^application\/problem\+json/)
  t.match(missing.error, { code: 'unauthorized', status: 401, title: 'Unauthorized', instance: '/v1/me', type: /problems\/unauthorized$/ })
  t.equal(missing.error?.requestId, missing.response.headers.get('x-request-id'))

  const unknown = await h.client(generateApiToken().token).GET('/v1/servers')
  t.equal(unknown.response.status, 401)
  t.equal(unknown.error?.code, 'unauthorized')

  const { hash, token } = generateApiToken()
  await h.database
    .sql`INSERT INTO api_tokens (workspace_id, user_id, token_hash, revoked_at) VALUES (${team.workspaceId}, ${team.admin.userId}, ${hash}, now())`
  const revoked = await h.client(token).GET('/v1/me')
  t.equal(revoked.response.status, 401)
})

t.test('unauthenticated requests learn nothing about the body: 401 comes before validation', async (t) => {
  const res = await h.client().POST('/v1/servers', { body: { name: '', host: '', username: '' } as never })
  t.equal(res.response.status, 401)
})

t.test('unknown routes are 404 not_found problems', async (t) => {
  const res = await fetch(`${h.baseUrl}/v2/nothing`)
  t.equal(res.status, 404)
  t.match(await res.json(), { code: 'not_found', status: 404, instance: '/v2/nothing' })
})

t.test('schema violations are 400 validation_failed with per-field errors', async (t) => {
  const res = await h.client(team.admin.token).POST('/v1/servers', { body: { name: 'x', host: 'db', username: 'u', port: 70000 } })
  t.equal(res.response.status, 400)
  t.equal(res.error?.code, 'validation_failed')
  t.ok(
    res.error?.errors?.some((e) => e.path === 'body.port'),
    'names the offending field',
  )

  const query = await h.client(team.admin.token).GET('/v1/servers', { params: { query: { limit: 0 } } })
  t.equal(query.response.status, 400)
  t.ok(query.error?.errors?.some((e) => e.path === 'querystring.limit'))

  const badId = await fetch(`${h.baseUrl}/v1/servers/not-a-uuid`, { headers: { authorization: `Bearer ${team.admin.token}` } })
  t.equal(badId.status, 400)

  const badJson = await fetch(`${h.baseUrl}/v1/servers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${team.admin.token}`, 'content-type': 'application/json' },
    body: '{"name":',
  })
  t.equal(badJson.status, 400)
  t.match(await badJson.json(), { code: 'validation_failed' })
})

t.test('an unexpected failure is a generic 500 internal_error with the request id and no details', async (t) => {
  // A real fault: the table the query needs is gone (this file's own database).
  await h.database.sql`ALTER TABLE plans RENAME TO plans_gone`
  t.teardown(() => h.database.sql`ALTER TABLE plans_gone RENAME TO plans`)
  const res = await h.client(team.viewer.token).GET('/v1/plans')
  t.equal(res.response.status, 500)
  const problem = res.error
  t.equal(problem?.code, 'internal_error')
  t.equal(problem?.requestId, res.response.headers.get('x-request-id'))
  t.notMatch(problem?.detail ?? '', /relation|plans_gone|select|\.ts:/i, 'no SQL or stack in the response')
  t.same(Object.keys(problem ?? {}).sort(), ['code', 'detail', 'instance', 'requestId', 'status', 'title', 'type'])
})
