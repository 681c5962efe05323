// Cancel (POST /v1/restores/{id}/cancel) and previews (dryRun) through the real API: who may
// cancel, what a pending, running and finished restore answer, and that a preview is a restore
// record of its own (dryRun true, listed and filtered) whose Idempotency-Key covers dryRun. No
// runner runs here: the running state is written the way a runner claims (runner tests cover the rest).
import { join } from 'node:path'
import { seedDatabaseBackup } from '@devpilot/devenv/testing'
import t from 'tap'
import { seedTeam, startApi } from './support/api-harness.js'

const h = await startApi(t)
const team = await seedTeam(h)
const other = await seedTeam(h)
const { sql } = h.database
const seeded = await seedDatabaseBackup(h.database.db, h.box, {
  workspaceId: team.workspaceId,
  destinationPath: join(h.destinationRoot, team.slug, 'a'),
  sourceDatabase: 'app',
})
const operator = h.client(team.operator.token)
const viewer = h.client(team.viewer.token)
const stranger = h.client(other.operator.token)

async function start(body: { dryRun?: boolean; targetDatabase?: string } = {}, headers?: Record<string, string>) {
  const client = headers ? h.client(team.operator.token, headers) : operator
  const res = await client.POST('/v1/backups/{id}/restores', { params: { path: { id: seeded.backupId } }, body: { targetDatabase: 'app_copy', ...body } })
  if (!res.data) throw new Error(`start failed: ${res.response.status} ${JSON.stringify(res.error)}`)
  return res.data
}
const cancel = (client: typeof operator, id: string) => client.POST('/v1/restores/{id}/cancel', { params: { path: { id } } })

t.test('cancelling a pending restore fails it at once with cancelled and keeps when it was asked', async (t) => {
  const restore = await start()
  const res = await cancel(operator, restore.id)
  t.equal(res.response.status, 202)
  t.match(res.data, { id: restore.id, status: 'failed', error: { code: 'cancelled' }, progress: { stage: null, etaSeconds: null } })
  t.ok(res.data?.cancelRequestedAt, 'cancelRequestedAt is set')
  t.ok(res.data?.startedAt && res.data.completedAt, 'a failed restore has both times')
  const again = await cancel(operator, restore.id)
  t.equal(again.response.status, 409)
  t.equal(again.error?.code, 'restore_finished')
})

t.test('cancelling a running restore twice answers 202 both times with the first request time; the status stays for the runner', async (t) => {
  const restore = await start({ targetDatabase: 'app_running' })
  await sql`UPDATE restores SET status = 'in_progress', started_at = now(), runner_id = 'r1', attempt = 1, stage = 'restore' WHERE id = ${restore.id}`
  const first = await cancel(operator, restore.id)
  t.equal(first.response.status, 202)
  t.match(first.data, { status: 'in_progress', progress: { stage: 'restore' } })
  const requestedAt = first.data?.cancelRequestedAt
  t.ok(requestedAt)
  const second = await cancel(operator, restore.id)
  t.equal(second.response.status, 202)
  t.equal(second.data?.cancelRequestedAt, requestedAt, 'the first request is kept')
})

t.test('a completed restore answers 409 restore_finished and stays as it was', async (t) => {
  const restore = await start({ targetDatabase: 'app_done' })
  await sql`UPDATE restores SET status = 'in_progress', started_at = now(), runner_id = 'r1', attempt = 1 WHERE id = ${restore.id}`
  await sql`UPDATE restores SET status = 'completed', completed_at = now() WHERE id = ${restore.id}`
  const res = await cancel(operator, restore.id)
  t.equal(res.response.status, 409)
  t.equal(res.error?.code, 'restore_finished')
  const after = await operator.GET('/v1/restores/{id}', { params: { path: { id: restore.id } } })
  t.match(after.data, { status: 'completed', cancelRequestedAt: null, error: null })
})

t.test('a viewer may not cancel (403) and another workspace sees no such restore (404); nothing changes', async (t) => {
  const restore = await start()
  const denied = await cancel(viewer, restore.id)
  t.equal(denied.response.status, 403)
  t.equal(denied.error?.code, 'forbidden')
  const hidden = await cancel(stranger, restore.id)
  t.equal(hidden.response.status, 404)
  t.equal(hidden.error?.code, 'not_found')
  const missing = await cancel(operator, '00000000-0000-4000-8000-000000000000')
  t.equal(missing.response.status, 404)
  const after = await operator.GET('/v1/restores/{id}', { params: { path: { id: restore.id } } })
  t.match(after.data, { status: 'pending', cancelRequestedAt: null })
})

t.test('a preview is a pending restore record with dryRun true, queued, listed, and filtered by dryRun', async (t) => {
  const preview = await start({ dryRun: true, targetDatabase: 'preview_target' })
  t.match(preview, { status: 'pending', dryRun: true, preview: null, checks: [] })
  const [job] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'restore' AND data->>'restoreId' = ${preview.id}`
  t.equal(job?.n, 1, 'queued like a restore')
  const onlyPreviews = await operator.GET('/v1/restores', { params: { query: { dryRun: 'true' } } })
  t.ok(onlyPreviews.data?.items.every((r) => r.dryRun))
  t.ok(onlyPreviews.data?.items.some((r) => r.id === preview.id))
  const onlyReal = await operator.GET('/v1/restores', { params: { query: { dryRun: 'false' } } })
  t.notOk(onlyReal.data?.items.some((r) => r.id === preview.id))
})

t.test('the Idempotency-Key fingerprint covers dryRun: a preview and a restore under one key conflict', async (t) => {
  const headers = { 'idempotency-key': `preview-${Date.now()}` }
  const first = await start({ dryRun: true }, headers)
  const replay = await h.client(team.operator.token, headers).POST('/v1/backups/{id}/restores', {
    params: { path: { id: seeded.backupId } },
    body: { targetDatabase: 'app_copy', dryRun: true },
  })
  t.equal(replay.response.status, 200)
  t.equal(replay.data?.id, first.id)
  const conflict = await h.client(team.operator.token, headers).POST('/v1/backups/{id}/restores', {
    params: { path: { id: seeded.backupId } },
    body: { targetDatabase: 'app_copy', dryRun: false },
  })
  t.equal(conflict.response.status, 409)
  t.equal(conflict.error?.code, 'idempotency_conflict')
})
