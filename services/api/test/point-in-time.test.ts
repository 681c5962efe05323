// Real-time plans through the API: registering change-stream segments, the restorable window
// with its gaps, and starting point-in-time restores (only for real-time plans, only inside the
// window, with microsecond moments).
import { join } from 'node:path'
import { insertBackup, insertPlan } from '@devpilot/db'
import { seedDatabaseBackup } from '@devpilot/devenv/testing'
import t from 'tap'
import { seedTeam, startApi } from './support/api-harness.js'

const h = await startApi(t)
const team = await seedTeam(h)
const { db, sql } = h.database
const seeded = await seedDatabaseBackup(db, h.box, { workspaceId: team.workspaceId, destinationPath: join(h.destinationRoot, 'rt'), sourceDatabase: 'app' })
const admin = h.client(team.admin.token)
const operator = h.client(team.operator.token)
const plan = await insertPlan(db, {
  workspaceId: team.workspaceId,
  name: 'realtime app',
  type: 'database',
  mode: 'realtime',
  sourceServerId: seeded.serverId,
  sourceDatabase: 'app',
  destinationId: seeded.destinationId,
})
// Base snapshot completed at 10:00:00.000100; the stream runs from its LSN in two contiguous segments, then a gap.
const snapshot = await insertBackup(db, {
  workspaceId: team.workspaceId,
  planId: plan.id,
  format: 'pg_custom',
  artifactKey: 'rt/base.dump',
  status: 'completed',
  snapshotLsn: '0/1000000',
  startedAt: '2026-11-24T09:59:00Z',
  completedAt: '2026-11-24T10:00:00.000100Z',
})

function segment(startLsn: string, endLsn: string, firstCommitAt: string, lastCommitAt: string) {
  return { artifactKey: `rt/stream/${startLsn.replace('/', '-')}.json`, startLsn, endLsn, firstCommitAt, lastCommitAt }
}

t.test('an admin registers contiguous segments; the window spans snapshot to last commit', async (t) => {
  const first = await admin.POST('/v1/plans/{id}/stream-segments', {
    params: { path: { id: plan.id } },
    body: segment('0/1000000', '0/2000000', '2026-11-24T10:00:01.000001Z', '2026-11-24T10:05:00.123456Z'),
  })
  t.equal(first.response.status, 201)
  t.match(first.data, {
    planId: plan.id,
    startLsn: '0/1000000',
    endLsn: '0/2000000',
    firstCommitAt: '2026-11-24T10:00:01.000001Z',
    compression: 'none',
    sha256: null,
  })
  const second = await admin.POST('/v1/plans/{id}/stream-segments', {
    params: { path: { id: plan.id } },
    body: { ...segment('0/2000000', '0/3000000', '2026-11-24T10:05:00.123457Z', '2026-11-24T10:10:00.654321Z'), compression: 'gzip', sizeBytes: 10 },
  })
  t.equal(second.response.status, 201)
  const stream = await operator.GET('/v1/plans/{id}/stream', { params: { path: { id: plan.id } } })
  t.same(stream.data, {
    planId: plan.id,
    earliestRestorableAt: '2026-11-24T10:00:00.0001Z',
    latestRestorableAt: '2026-11-24T10:10:00.654321Z',
    snapshots: [{ backupId: snapshot.id, snapshotLsn: '0/1000000', completedAt: '2026-11-24T10:00:00.0001Z' }],
    segmentCount: 2,
    gaps: [],
    intervals: [{ from: '2026-11-24T10:00:00.0001Z', to: '2026-11-24T10:10:00.654321Z', baseBackupId: snapshot.id }],
  })
})

t.test('a segment overlapping a registered one is refused with 409 conflict', async (t) => {
  const res = await admin.POST('/v1/plans/{id}/stream-segments', {
    params: { path: { id: plan.id } },
    body: segment('0/2800000', '0/3800000', '2026-11-24T10:11:00Z', '2026-11-24T10:12:00Z'),
  })
  t.equal(res.response.status, 409)
  t.equal(res.error?.code, 'conflict')
})

t.test('a segment after a missing range shows as a gap and does not extend the window', async (t) => {
  const res = await admin.POST('/v1/plans/{id}/stream-segments', {
    params: { path: { id: plan.id } },
    body: segment('0/4000000', '0/5000000', '2026-11-24T10:20:00Z', '2026-11-24T10:30:00Z'),
  })
  t.equal(res.response.status, 201)
  const stream = await operator.GET('/v1/plans/{id}/stream', { params: { path: { id: plan.id } } })
  t.same(stream.data?.gaps, [{ afterLsn: '0/3000000', beforeLsn: '0/4000000' }])
  t.equal(stream.data?.latestRestorableAt, '2026-11-24T10:10:00.654321Z')
  t.equal(stream.data?.segmentCount, 3)
})

t.test('a malformed segment is refused: bad LSN, end before start, last commit before first', async (t) => {
  const cases = [
    segment('nope', '0/2', '2026-11-24T10:00:00Z', '2026-11-24T10:00:00Z'),
    segment('0/9000000', '0/8000000', '2026-11-24T10:00:00Z', '2026-11-24T10:00:00Z'),
    segment('0/9000000', '0/9100000', '2026-11-24T10:00:01Z', '2026-11-24T10:00:00Z'),
  ]
  for (const body of cases) {
    const res = await admin.POST('/v1/plans/{id}/stream-segments', { params: { path: { id: plan.id } }, body })
    t.equal(res.error?.code, 'validation_failed', JSON.stringify(body))
  }
})

t.test('an operator may not register segments (403) and a scheduled plan has no stream (409 plan_not_realtime)', async (t) => {
  const body = segment('0/9000000', '0/9100000', '2026-11-24T11:00:00Z', '2026-11-24T11:00:01Z')
  const forbidden = await operator.POST('/v1/plans/{id}/stream-segments', { params: { path: { id: plan.id } }, body })
  t.equal(forbidden.response.status, 403)
  const scheduled = await admin.POST('/v1/plans/{id}/stream-segments', { params: { path: { id: seeded.planId } }, body })
  t.equal(scheduled.response.status, 409)
  t.equal(scheduled.error?.code, 'plan_not_realtime')
})

t.test('a point-in-time restore inside the window is accepted with its moment to the microsecond', async (t) => {
  const res = await operator.POST('/v1/plans/{id}/point-in-time-restores', {
    params: { path: { id: plan.id } },
    body: { targetTime: '2026-11-24T10:05:00.123456Z', targetDatabase: 'app_at_1005' },
  })
  t.equal(res.response.status, 202)
  t.match(res.data, {
    backupId: snapshot.id,
    planId: plan.id,
    status: 'pending',
    target: { serverId: seeded.serverId, database: 'app_at_1005', path: null, overwrite: false },
    pointInTime: { targetTime: '2026-11-24T10:05:00.123456Z', baseBackupId: snapshot.id, appliedLsn: null, appliedCommitAt: null },
  })
  const [job] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'restore' AND data->>'restoreId' = ${res.data?.id ?? ''}`
  t.equal(job?.n, 1, 'its job was enqueued with the record')
})

t.test('moments outside the window, or inside a gap, are 422 target_time_out_of_range carrying the window', async (t) => {
  for (const targetTime of ['2026-11-24T09:59:59.999999Z', '2026-11-24T10:10:00.654322Z', '2026-11-24T10:25:00Z']) {
    const res = await operator.POST('/v1/plans/{id}/point-in-time-restores', { params: { path: { id: plan.id } }, body: { targetTime, targetDatabase: 'x' } })
    t.equal(res.response.status, 422, targetTime)
    t.equal(res.error?.code, 'target_time_out_of_range')
    t.same(res.error?.window, {
      earliestRestorableAt: '2026-11-24T10:00:00.0001Z',
      latestRestorableAt: '2026-11-24T10:10:00.654321Z',
      intervals: [{ from: '2026-11-24T10:00:00.0001Z', to: '2026-11-24T10:10:00.654321Z' }],
    })
  }
})

t.test('a point-in-time restore of a scheduled plan is 409 plan_not_realtime; nanoseconds are refused', async (t) => {
  const scheduled = await operator.POST('/v1/plans/{id}/point-in-time-restores', {
    params: { path: { id: seeded.planId } },
    body: { targetTime: '2026-11-24T10:05:00Z' },
  })
  t.equal(scheduled.error?.code, 'plan_not_realtime')
  const nanos = await operator.POST('/v1/plans/{id}/point-in-time-restores', {
    params: { path: { id: plan.id } },
    body: { targetTime: '2026-11-24T10:05:00.123456789Z' },
  })
  t.equal(nanos.error?.code, 'validation_failed')
})

t.test('a viewer may not start a point-in-time restore, and another workspace sees nothing', async (t) => {
  const viewer = await h
    .client(team.viewer.token)
    .POST('/v1/plans/{id}/point-in-time-restores', { params: { path: { id: plan.id } }, body: { targetTime: '2026-11-24T10:05:00Z' } })
  t.equal(viewer.response.status, 403)
  const other = await seedTeam(h)
  const stranger = h.client(other.admin.token)
  t.equal((await stranger.GET('/v1/plans/{id}/stream', { params: { path: { id: plan.id } } })).response.status, 404)
  const post = await stranger.POST('/v1/plans/{id}/stream-segments', {
    params: { path: { id: plan.id } },
    body: segment('0/9000000', '0/9100000', '2026-11-24T11:00:00Z', '2026-11-24T11:00:01Z'),
  })
  t.equal(post.response.status, 404)
})
