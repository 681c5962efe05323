// Plans' verification checks and drill schedules (POST and PATCH /v1/plans), kept in step with
// pg-boss's schedule table in the same transaction; and backups' manifests (POST /v1/backups).
import { join } from 'node:path'
import { DRILL_QUEUE } from '@devpilot/contracts'
import t from 'tap'
import { seedTeam, startApi } from './support/api-harness.js'

const h = await startApi(t)
const team = await seedTeam(h)
const other = await seedTeam(h)
const admin = h.client(team.admin.token)
const operator = h.client(team.operator.token)
const stranger = h.client(other.admin.token)

const dest = await admin.POST('/v1/destinations', { body: { name: 'd', type: 'local', path: join(h.destinationRoot, team.slug, 'plans') } })
const server = await admin.POST('/v1/servers', { body: { name: 's', host: 'h', username: 'u' } })
const destinationId = dest.data?.id ?? ''
const serverId = server.data?.id ?? ''

async function schedulesOf(planId: string) {
  return (await h.boss.getSchedules(DRILL_QUEUE, planId)).map((s) => ({ cron: s.cron, timezone: s.timezone, data: s.data }))
}

t.test('a plan is created with checks and a drill schedule, which pg-boss then holds', async (t) => {
  const verification = { checks: [{ name: 'has orders', sql: 'SELECT count(*) > 0 FROM orders' }] }
  const created = await admin.POST('/v1/plans', {
    body: {
      name: 'Orders',
      type: 'database',
      sourceDatabase: 'orders',
      destinationId,
      verification,
      drillSchedule: { cron: '0 3 * * *', serverId, timezone: 'Europe/Berlin' },
    },
  })
  t.equal(created.response.status, 201)
  t.same(created.data?.verification, verification)
  t.same(created.data?.drillSchedule, { cron: '0 3 * * *', serverId, timezone: 'Europe/Berlin' })
  const planId = created.data?.id ?? ''
  t.same(await schedulesOf(planId), [{ cron: '0 3 * * *', timezone: 'Europe/Berlin', data: { planId, triggeredByUserId: team.admin.userId } }])
  const detail = await operator.GET('/v1/plans/{id}', { params: { path: { id: planId } } })
  t.same(detail.data?.verification, verification)
  t.equal(detail.data?.lastDrill, null, 'no drill yet')

  const noSchedule = await admin.POST('/v1/plans', { body: { name: 'Plain', type: 'database', sourceDatabase: 'x', destinationId } })
  t.same([noSchedule.data?.verification, noSchedule.data?.drillSchedule], [null, null])
  t.same(await schedulesOf(noSchedule.data?.id ?? ''), [])
})

t.test('PATCH sets and clears name, verification and drillSchedule; the schedule follows', async (t) => {
  const created = await admin.POST('/v1/plans', { body: { name: 'Before', type: 'database', sourceDatabase: 'db', destinationId } })
  const id = created.data?.id ?? ''
  const params = { path: { id } }
  const renamed = await admin.PATCH('/v1/plans/{id}', { params, body: { name: 'After' } })
  t.equal(renamed.response.status, 200)
  t.match(renamed.data, { name: 'After', verification: null, drillSchedule: null })

  const checks = { checks: [{ name: 'one', sql: 'SELECT true' }] }
  const scheduled = await admin.PATCH('/v1/plans/{id}', { params, body: { verification: checks, drillSchedule: { cron: '*/15 * * * *', serverId } } })
  t.same(scheduled.data?.verification, checks)
  t.same(scheduled.data?.drillSchedule, { cron: '*/15 * * * *', serverId, timezone: 'UTC' }, 'timezone defaults to UTC')
  t.same(await schedulesOf(id), [{ cron: '*/15 * * * *', timezone: 'UTC', data: { planId: id, triggeredByUserId: team.admin.userId } }])

  const moved = await admin.PATCH('/v1/plans/{id}', { params, body: { drillSchedule: { cron: '30 2 * * 1', serverId, timezone: 'America/New_York' } } })
  t.equal(moved.data?.name, 'After', 'absent fields stay')
  t.same(moved.data?.verification, checks, 'absent fields stay')
  t.same(await schedulesOf(id), [{ cron: '30 2 * * 1', timezone: 'America/New_York', data: { planId: id, triggeredByUserId: team.admin.userId } }])

  const cleared = await admin.PATCH('/v1/plans/{id}', { params, body: { verification: null, drillSchedule: null } })
  t.match(cleared.data, { verification: null, drillSchedule: null })
  t.same(await schedulesOf(id), [], 'clearing the schedule removes it from pg-boss')
})

t.test('a bad cron, time zone or server is refused with validation_failed and changes nothing', async (t) => {
  const created = await admin.POST('/v1/plans', {
    body: { name: 'Keep', type: 'database', sourceDatabase: 'db', destinationId, drillSchedule: { cron: '0 4 * * *', serverId } },
  })
  const id = created.data?.id ?? ''
  const params = { path: { id } }
  const cases = [
    { schedule: { cron: 'every day at 3', serverId }, path: 'body.drillSchedule.cron', message: /five fields/ },
    { schedule: { cron: '0 0 3 * * *', serverId }, path: 'body.drillSchedule.cron', message: /five fields.*got 6/ },
    { schedule: { cron: '99 3 * * *', serverId }, path: 'body.drillSchedule.cron', message: /not a valid cron expression/ },
    { schedule: { cron: '0 3 * * *', serverId, timezone: 'Mars/Olympus_Mons' }, path: 'body.drillSchedule.timezone', message: /not an IANA time zone/ },
    { schedule: { cron: '0 3 * * *' }, path: 'body.drillSchedule.serverId', message: /name it/ },
    { schedule: { cron: '0 3 * * *', serverId: crypto.randomUUID() }, path: 'body.drillSchedule.serverId', message: /no such server/ },
  ]
  for (const c of cases) {
    const refused = await admin.PATCH('/v1/plans/{id}', { params, body: { name: 'Changed', drillSchedule: c.schedule } })
    t.equal(refused.response.status, 422, c.schedule.cron)
    t.equal(refused.error?.code, 'validation_failed')
    t.equal(refused.error?.errors?.[0]?.path, c.path)
    t.match(refused.error?.detail, c.message)
    const onCreate = await admin.POST('/v1/plans', { body: { name: 'x', type: 'database', sourceDatabase: 'x', destinationId, drillSchedule: c.schedule } })
    t.equal(onCreate.response.status, 422, 'refused on create too')
  }
  const after = await admin.GET('/v1/plans/{id}', { params })
  t.match(after.data, { name: 'Keep', drillSchedule: { cron: '0 4 * * *', serverId, timezone: 'UTC' } })
  t.same(await schedulesOf(id), [{ cron: '0 4 * * *', timezone: 'UTC', data: { planId: id, triggeredByUserId: team.admin.userId } }])

  const files = await admin.POST('/v1/plans', { body: { name: 'F', type: 'files', sourcePath: join(h.restoreRoot, team.slug, 'f'), destinationId } })
  const fileParams = { path: { id: files.data?.id ?? '' } }
  const fileServer = await admin.PATCH('/v1/plans/{id}', { params: fileParams, body: { drillSchedule: { cron: '0 3 * * *', serverId } } })
  t.equal(fileServer.error?.errors?.[0]?.path, 'body.drillSchedule.serverId', 'a file plan takes no server')
  const fileChecks = await admin.PATCH('/v1/plans/{id}', { params: fileParams, body: { verification: { checks: [{ name: 'x', sql: 'SELECT true' }] } } })
  t.equal(fileChecks.error?.errors?.[0]?.path, 'body.verification')
  const fileScheduled = await admin.PATCH('/v1/plans/{id}', { params: fileParams, body: { drillSchedule: { cron: '0 3 * * *' } } })
  t.same(fileScheduled.data?.drillSchedule, { cron: '0 3 * * *', timezone: 'UTC' })
})

t.test('PATCH needs the admin role and the plan in the caller workspace', async (t) => {
  const created = await admin.POST('/v1/plans', { body: { name: 'Mine', type: 'database', sourceDatabase: 'db', destinationId } })
  const params = { path: { id: created.data?.id ?? '' } }
  t.equal((await operator.PATCH('/v1/plans/{id}', { params, body: { name: 'no' } })).response.status, 403)
  t.equal((await stranger.PATCH('/v1/plans/{id}', { params, body: { name: 'no' } })).response.status, 404)
  t.equal((await admin.PATCH('/v1/plans/{id}', { params, body: { name: 'x', mode: 'realtime' } as never })).response.status, 400, 'unknown fields refused')
  t.equal((await admin.GET('/v1/plans/{id}', { params })).data?.name, 'Mine')
})

t.test('a backup carries its manifest; a bad one is refused', async (t) => {
  const plan = await admin.POST('/v1/plans', { body: { name: 'M', type: 'database', sourceDatabase: 'db', destinationId } })
  const planId = plan.data?.id ?? ''
  const manifest = {
    tables: [
      { schema: 'public', name: 'orders', rows: 3 },
      { schema: 'sales', name: 'orders', rows: 0 },
    ],
  }
  const created = await admin.POST('/v1/backups', { body: { planId, format: 'pg_custom', artifactKey: 'm.dump', status: 'completed', manifest } })
  t.equal(created.response.status, 201)
  t.same(created.data?.manifest, manifest)
  t.same((await operator.GET('/v1/backups/{id}', { params: { path: { id: created.data?.id ?? '' } } })).data?.manifest, manifest)
  const none = await admin.POST('/v1/backups', { body: { planId, format: 'pg_custom', artifactKey: 'n.dump' } })
  t.equal(none.data?.manifest, null)

  const twice = await admin.POST('/v1/backups', {
    body: { planId, format: 'pg_custom', artifactKey: 't.dump', manifest: { tables: [manifest.tables[0], manifest.tables[0]] } as never },
  })
  t.equal(twice.response.status, 422)
  t.match(twice.error?.detail, /public\.orders is listed twice/)
  const negative = await admin.POST('/v1/backups', {
    body: { planId, format: 'pg_custom', artifactKey: 'x.dump', manifest: { tables: [{ schema: 'public', name: 'a', rows: -1 }] } },
  })
  t.equal(negative.response.status, 400)
  const files = await admin.POST('/v1/plans', { body: { name: 'F', type: 'files', sourcePath: join(h.restoreRoot, team.slug, 'g'), destinationId } })
  const onFiles = await admin.POST('/v1/backups', { body: { planId: files.data?.id ?? '', format: 'tar', artifactKey: 'f.tar', manifest } })
  t.equal(onFiles.error?.errors?.[0]?.path, 'body.manifest')
})
