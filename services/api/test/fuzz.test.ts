// Hostile input over every route of the OpenAPI document, property-based (fast-check): random
// path parameters, query strings, JSON bodies (and non-JSON ones), headers and tokens of every
// role. Whatever arrives, the API answers no 5xx, every error is problem+json with a stable code,
// and a refused request writes nothing. The same holds while the product database is down (then
// 503 service_unavailable, never 500). CI runs FUZZ_RUNS cases per property (default 2,000, so a
// few thousand requests in all); the long run is
//   FUZZ_RUNS=100000 pnpm test -- --timeout=7200 services/api/test/fuzz.test.ts
import { join } from 'node:path'
import { adminQuery, seedDatabaseBackup, testEnv } from '@devpilot/devenv/testing'
import fc from 'fast-check'
import t from 'tap'
import { generateOpenApiDocument } from '../src/openapi-files.js'
import { seedTeam, startApi } from './support/api-harness.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000)
const env = testEnv()
const h = await startApi(t, { AUTH_FAILURE_LIMIT: 10_000_000 })
const team = await seedTeam(h)
const seeded = await seedDatabaseBackup(h.database.db, h.box, {
  workspaceId: team.workspaceId,
  destinationPath: join(h.destinationRoot, team.slug, 'fuzz'),
  sourceDatabase: 'app',
})

const doc = JSON.parse(await generateOpenApiDocument()) as { paths: Record<string, Record<string, unknown>> }
const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
  Object.keys(methods)
    .filter((m) => ['get', 'post', 'patch', 'put', 'delete'].includes(m))
    .map((method) => ({ path, method: method.toUpperCase() })),
)
// Ids that exist (so handlers get past "not found"), ids that do not, and garbage.
const realIds = [seeded.backupId, seeded.planId, seeded.serverId, seeded.destinationId, team.workspaceId]
const pathParam = fc.oneof(fc.constantFrom(...realIds), fc.uuid(), fc.string({ maxLength: 40 }), fc.constantFrom('..', '%00', '%2e%2e%2f', 'null', '-1'))
const token = fc.constantFrom(team.admin.token, team.operator.token, team.viewer.token, 'dpr_garbage', '')
const jsonValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.record(
    {
      targetDatabase: fc.oneof(fc.string({ maxLength: 80 }), fc.constant('app'), fc.constant('postgres')),
      targetPath: fc.oneof(fc.string({ maxLength: 80 }), fc.constant('/etc'), fc.constant('../../x')),
      targetServerId: fc.oneof(fc.uuid(), fc.constantFrom(...realIds)),
      overwrite: fc.oneof(fc.boolean(), fc.string()),
      name: fc.string({ maxLength: 300 }),
      host: fc.string({ maxLength: 300 }),
      port: fc.oneof(fc.integer(), fc.string()),
      type: fc.constantFrom('s3', 'local', 'database', 'files', 'x'),
      format: fc.constantFrom('pg_custom', 'tar', 'nope'),
      status: fc.constantFrom('completed', 'pending', 'x'),
      artifactKey: fc.string({ maxLength: 200 }),
      targetTime: fc.oneof(
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        fc.string(),
      ),
    },
    { requiredKeys: [] },
  ),
)
const body = fc.oneof(
  jsonValue.map((v) => ({ contentType: 'application/json', payload: JSON.stringify(v) })),
  fc.string({ maxLength: 200 }).map((s) => ({ contentType: 'application/json', payload: s })),
  fc.string({ maxLength: 200 }).map((s) => ({ contentType: 'text/plain', payload: s })),
  fc.constant(null),
)
const query = fc.dictionary(fc.constantFrom('limit', 'cursor', 'status', 'planId', 'backupId', 'x'), fc.string({ maxLength: 30 }), { maxKeys: 3 })

type FuzzRequest = typeof request extends fc.Arbitrary<infer T> ? T : never
const request = fc.record({ op: fc.constantFrom(...operations), params: fc.array(pathParam, { minLength: 3, maxLength: 3 }), query, body, token })

async function send(baseUrl: string, r: FuzzRequest) {
  let i = 0
  const path = r.op.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(r.params[i++] ?? ''))
  const qs = new URLSearchParams(r.query).toString()
  const headers: Record<string, string> = {}
  if (r.token) headers.authorization = `Bearer ${r.token}`
  if (r.body && r.op.method !== 'GET' && r.op.method !== 'DELETE') headers['content-type'] = r.body.contentType
  return fetch(`${baseUrl}${path}${qs ? `?${qs}` : ''}`, {
    method: r.op.method,
    headers,
    ...(r.body && r.op.method !== 'GET' && r.op.method !== 'DELETE' ? { body: r.body.payload } : {}),
  })
}

async function restoreCount(): Promise<number> {
  const [row] = await h.database.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM restores`
  return row?.n ?? -1
}

t.test(`${RUNS} random requests over ${operations.length} operations: no 5xx, problem+json errors, refusals write nothing`, async (t) => {
  let checked = 0
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const before = await restoreCount()
      const res = await send(h.baseUrl, r)
      const text = await res.text()
      if (res.status >= 500) throw new Error(`${r.op.method} ${r.op.path} answered ${res.status}: ${text.slice(0, 300)}`)
      if (res.status >= 400) {
        if (!/^application\/problem\+json/.test(res.headers.get('content-type') ?? '')) throw new Error(`${res.status} without problem+json`)
        const problem = JSON.parse(text) as { code?: unknown; status?: unknown }
        if (typeof problem.code !== 'string' || problem.status !== res.status) throw new Error(`malformed problem: ${text.slice(0, 300)}`)
        if ((await restoreCount()) !== before) throw new Error(`a refused ${r.op.method} ${r.op.path} wrote a restore`)
      }
      checked++
    }),
    { numRuns: RUNS },
  )
  t.equal(checked, RUNS, `${checked} requests checked`)
})

t.test(`${Math.ceil(RUNS / 20)} random requests while the product database is down: 401 or 503, never 500`, async (t) => {
  const name = h.database.name
  await adminQuery(env.DEVPILOT_TEST_PG_URL, `ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`)
  t.teardown(() => adminQuery(env.DEVPILOT_TEST_PG_URL, `ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`))
  await adminQuery(env.DEVPILOT_TEST_PG_URL, 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name])
  const statuses = new Set<number>()
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const res = await send(h.baseUrl, r)
      const text = await res.text()
      statuses.add(res.status)
      if (res.status >= 500 && res.status !== 503) throw new Error(`${r.op.method} ${r.op.path} answered ${res.status}: ${text.slice(0, 300)}`)
      if (res.status >= 400 && !/^application\/problem\+json/.test(res.headers.get('content-type') ?? '')) throw new Error(`${res.status} without problem+json`)
    }),
    { numRuns: Math.ceil(RUNS / 20) },
  )
  t.ok(statuses.has(503), `503 service_unavailable seen (statuses: ${[...statuses].sort().join(', ')})`)
})
