// GET /metrics of the API: requests by route template, method and status; restore requests by
// outcome; restores per status and the waiting restore jobs, read from the database at scrape
// time. /metrics stays out of the OpenAPI document, like /openapi.json and /docs, and answers only
// a scraper with METRICS_TOKEN (no token configured: no /metrics on the API's port).
import { join } from 'node:path'
import { insertBackup } from '@devpilot/db'
import { sampleValue, seedDatabaseBackup } from '@devpilot/devenv/testing'
import t from 'tap'
import { generateOpenApiDocument } from '../src/openapi-files.js'
import { seedTeam, startApi, startApiWithoutDatabase } from './support/api-harness.js'

const METRICS_TOKEN = 'scrape-token-0123456789'
const scraper = { authorization: `Bearer ${METRICS_TOKEN}` }
const h = await startApi(t, { METRICS_TOKEN })
const team = await seedTeam(h)
const { db } = h.database
const seeded = await seedDatabaseBackup(db, h.box, { workspaceId: team.workspaceId, destinationPath: join(h.destinationRoot, 'm'), sourceDatabase: 'app' })
const operator = h.client(team.operator.token)

async function scrape(): Promise<string> {
  const res = await fetch(`${h.baseUrl}/metrics`, { headers: scraper })
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`)
  return res.text()
}

t.test('/metrics answers 401 without the scrape token, and 404 when no token is configured', async (t) => {
  t.equal((await fetch(`${h.baseUrl}/metrics`)).status, 401, 'no token')
  t.equal((await fetch(`${h.baseUrl}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status, 401, 'a wrong token')
  const team2 = await seedTeam(h)
  t.equal(
    (await fetch(`${h.baseUrl}/metrics`, { headers: { authorization: `Bearer ${team2.admin.token}` } })).status,
    401,
    'an API token is not a scrape token',
  )
  const unconfigured = await startApi(t)
  t.equal((await fetch(`${unconfigured.baseUrl}/metrics`)).status, 404, 'no METRICS_TOKEN, no /metrics')
})

t.test('/metrics answers the Prometheus text format to the scraper', async (t) => {
  const res = await fetch(`${h.baseUrl}/metrics`, { headers: scraper })
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/)
  t.match(await res.text(), /# TYPE devpilot_api_http_requests_total counter/)
})

t.test('requests are counted by route template, method and status, with durations', async (t) => {
  for (let i = 0; i < 3; i++) await fetch(`${h.baseUrl}/healthz`)
  await operator.GET('/v1/restores/{id}', { params: { path: { id: '00000000-0000-4000-8000-000000000001' } } })
  await fetch(`${h.baseUrl}/nowhere/${Math.random()}`)
  const text = await scrape()
  t.equal(sampleValue(text, 'devpilot_api_http_requests_total', { method: 'GET', route: '/healthz', status_code: '200' }), 3)
  t.equal(
    sampleValue(text, 'devpilot_api_http_requests_total', { method: 'GET', route: '/v1/restores/:id', status_code: '404' }),
    1,
    'the template, not the id',
  )
  t.equal(sampleValue(text, 'devpilot_api_http_requests_total', { method: 'GET', route: 'unmatched', status_code: '404' }), 1, 'unknown paths share one series')
  t.equal(sampleValue(text, 'devpilot_api_http_request_duration_seconds_count', { method: 'GET', route: '/healthz', status_code: '200' }), 3)
})

t.test('restore requests are counted by outcome, and the database gauges show the result', async (t) => {
  const start = (backupId: string, headers: Record<string, string> = {}) =>
    h.client(team.operator.token, headers).POST('/v1/backups/{id}/restores', { params: { path: { id: backupId } }, body: {} })
  t.equal((await start(seeded.backupId, { 'idempotency-key': 'metrics-1' })).response.status, 202)
  t.equal((await start(seeded.backupId, { 'idempotency-key': 'metrics-1' })).response.status, 200, 'replayed')
  const pending = await insertBackup(db, {
    workspaceId: team.workspaceId,
    planId: seeded.planId,
    format: 'pg_custom',
    artifactKey: 'm-pending',
    status: 'pending',
  })
  t.equal((await start(pending.id)).response.status, 409)
  t.equal((await h.client(team.viewer.token).POST('/v1/backups/{id}/restores', { params: { path: { id: seeded.backupId } }, body: {} })).response.status, 403)

  const text = await scrape()
  const started = 'devpilot_api_restores_started_total'
  t.equal(sampleValue(text, started, { kind: 'backup', outcome: 'accepted' }), 1)
  t.equal(sampleValue(text, started, { kind: 'backup', outcome: 'replayed' }), 1)
  t.equal(sampleValue(text, started, { kind: 'backup', outcome: 'backup_not_restorable' }), 1)
  t.equal(sampleValue(text, started, { kind: 'backup', outcome: 'forbidden' }), 1)
  // No runner in this file: the one accepted restore waits as pending with one created job.
  t.equal(sampleValue(text, 'devpilot_restores', { status: 'pending' }), 1)
  t.equal(sampleValue(text, 'devpilot_restores', { status: 'in_progress' }), 0)
  t.equal(sampleValue(text, 'devpilot_restores', { status: 'completed' }), undefined, 'finished restores are not counted at scrape time')
  t.equal(sampleValue(text, 'devpilot_restore_queue_depth', { state: 'created' }), 1)
  t.equal(sampleValue(text, 'devpilot_restore_queue_depth', { state: 'retry' }), 0)
})

t.test('with the database unreachable /metrics still answers, without the database-derived series', async (t) => {
  const baseUrl = await startApiWithoutDatabase(t, { METRICS_TOKEN })
  const res = await fetch(`${baseUrl}/metrics`, { headers: scraper })
  t.equal(res.status, 200)
  const text = await res.text()
  t.equal(sampleValue(text, 'devpilot_restores', { status: 'pending' }), undefined, 'no stale or made-up numbers')
  t.equal(sampleValue(text, 'devpilot_restore_queue_depth', { state: 'created' }), undefined)
  t.ok(sampleValue(text, 'process_resident_memory_bytes'), 'process metrics are still there')
})

t.test('/metrics is not part of the OpenAPI document', async (t) => {
  const doc = JSON.parse(await generateOpenApiDocument()) as { paths: Record<string, unknown> }
  t.notOk('/metrics' in doc.paths)
})
