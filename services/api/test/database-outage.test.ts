// While the product database is unreachable (a restart, a failover), the API answers 503
// service_unavailable problems with Retry-After instead of 500 internal_error, writes nothing, and
// serves again as soon as the database is back. The outage is real: the product database refuses
// new connections (ALLOW_CONNECTIONS false) and every backend serving it is terminated.
import { join } from 'node:path'
import { adminQuery, seedDatabaseBackup, testEnv } from '@devpilot/devenv/testing'
import t from 'tap'
import { seedTeam, startApi } from './support/api-harness.js'

const env = testEnv()
const h = await startApi(t)
const team = await seedTeam(h)
const seeded = await seedDatabaseBackup(h.database.db, h.box, {
  workspaceId: team.workspaceId,
  destinationPath: join(h.destinationRoot, team.slug, 'a'),
  sourceDatabase: 'app',
})
const operator = h.client(team.operator.token)

async function setConnectable(allowed: boolean): Promise<void> {
  await adminQuery(env.DEVPILOT_TEST_PG_URL, `ALTER DATABASE "${h.database.name}" ALLOW_CONNECTIONS ${allowed}`)
  if (!allowed)
    await adminQuery(env.DEVPILOT_TEST_PG_URL, 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [
      h.database.name,
    ])
}

async function restoreCount(): Promise<number> {
  const [row] = await h.database.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM restores`
  return row?.n ?? -1
}

t.test('during a product-database outage requests get 503 service_unavailable with Retry-After, and nothing is written', async (t) => {
  const before = await restoreCount()
  await setConnectable(false)
  t.teardown(() => setConnectable(true))
  const requests = [
    () => operator.POST('/v1/backups/{id}/restores', { params: { path: { id: seeded.backupId } }, body: {}, headers: { 'idempotency-key': 'outage-1' } }),
    () => operator.GET('/v1/backups'),
    () => operator.GET('/v1/restores'),
    () => operator.GET('/v1/me'),
  ]
  for (const request of requests) {
    const { response, error } = await request()
    t.equal(response.status, 503, `${response.url} answers 503`)
    t.match(response.headers.get('content-type'), /^application\/problem\+json/)
    t.equal(response.headers.get('retry-after'), '5', 'with Retry-After')
    t.equal((error as { code?: string } | undefined)?.code, 'service_unavailable')
  }
  const ready = await fetch(`${h.baseUrl}/readyz`)
  t.equal(ready.status, 503, 'readiness says not ready too')
  t.equal(ready.headers.get('retry-after'), '5')

  await setConnectable(true)
  const retried = await operator.POST('/v1/backups/{id}/restores', {
    params: { path: { id: seeded.backupId } },
    body: {},
    headers: { 'idempotency-key': 'outage-1' },
  })
  t.equal(retried.response.status, 202, 'the same request succeeds once the database is back')
  t.equal(await restoreCount(), before + 1, 'exactly one restore exists: the outage wrote nothing')
})
