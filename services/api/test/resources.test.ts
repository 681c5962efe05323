// Servers, destinations, plans and backups through the generated client: CRUD, write-only
// secrets, soft deletes, roles, restore summaries and the backup history filters.
import { join } from 'node:path'
import { insertBackup } from '@devpilot/db'
import t from 'tap'
import { seedTeam, startApi } from './support/api-harness.js'

const h = await startApi(t)
const team = await seedTeam(h)
// Roots are per workspace: this team's folders are `<root>/<slug>`.
const destinationRoot = join(h.destinationRoot, team.slug)
const restoreRoot = join(h.restoreRoot, team.slug)
const admin = h.client(team.admin.token)
const viewer = h.client(team.viewer.token)
const operator = h.client(team.operator.token)

t.test('servers: create, read, patch and soft delete; the password is write-only', async (t) => {
  const created = await admin.POST('/v1/servers', { body: { name: 'prod', host: 'db.internal', username: 'postgres', password: 's3cret-pw' } })
  t.equal(created.response.status, 201)
  const server = created.data
  if (!server) throw new Error('no server')
  t.match(server, { name: 'prod', engine: 'postgresql', port: 5432, maintenanceDatabase: 'postgres', sslmode: 'prefer', hasPassword: true })
  t.notMatch(JSON.stringify(server), /s3cret-pw|password"/)
  const [raw] = await h.database.sql<{ c: string }[]>`SELECT password_ciphertext AS c FROM servers WHERE id = ${server.id}`
  t.match(raw?.c, /^v1\./, 'encrypted at rest')

  const read = await viewer.GET('/v1/servers/{id}', { params: { path: { id: server.id } } })
  t.same(read.data, server)
  const patched = await admin.PATCH('/v1/servers/{id}', { params: { path: { id: server.id } }, body: { port: 6543, password: null } })
  t.match(patched.data, { port: 6543, hasPassword: false })

  const forbidden = await operator.PATCH('/v1/servers/{id}', { params: { path: { id: server.id } }, body: { port: 1 } })
  t.equal(forbidden.response.status, 403)
  t.equal((await viewer.POST('/v1/servers', { body: { name: 'x', host: 'x', username: 'x' } })).response.status, 403)

  const list = await viewer.GET('/v1/servers')
  t.ok(list.data?.items.some((s) => s.id === server.id))
  const deleted = await admin.DELETE('/v1/servers/{id}', { params: { path: { id: server.id } } })
  t.equal(deleted.response.status, 204)
  t.equal((await viewer.GET('/v1/servers/{id}', { params: { path: { id: server.id } } })).response.status, 404)
  t.notOk(
    (await viewer.GET('/v1/servers')).data?.items.some((s) => s.id === server.id),
    'gone from the list',
  )
  t.equal((await admin.DELETE('/v1/servers/{id}', { params: { path: { id: server.id } } })).response.status, 404, 'second delete is 404')
  const [row] = await h.database.sql<{ deleted: boolean }[]>`SELECT deleted_at IS NOT NULL AS deleted FROM servers WHERE id = ${server.id}`
  t.equal(row?.deleted, true, 'the row stays for history')
})

t.test('destinations: s3 secret is write-only, local paths must be under LOCAL_DESTINATION_ROOTS, enable/disable, soft delete', async (t) => {
  const s3 = await admin.POST('/v1/destinations', {
    body: {
      name: 'bucket',
      type: 's3',
      bucket: 'backups',
      region: 'eu-west-1',
      accessKeyId: 'AKIA1',
      secretAccessKey: 'very-secret-key',
      forcePathStyle: true,
    },
  })
  t.equal(s3.response.status, 201)
  t.match(s3.data, { type: 's3', bucket: 'backups', accessKeyId: 'AKIA1', enabled: true, endpoint: null })
  t.notMatch(JSON.stringify(s3.data), /very-secret-key|secretAccessKey/)
  const s3Id = s3.data?.id ?? ''

  const disabled = await admin.PATCH('/v1/destinations/{id}', { params: { path: { id: s3Id } }, body: { enabled: false, secretAccessKey: 'rotated-secret' } })
  t.match(disabled.data, { enabled: false })
  t.notMatch(JSON.stringify(disabled.data), /rotated-secret/)
  const wrongField = await admin.PATCH('/v1/destinations/{id}', { params: { path: { id: s3Id } }, body: { path: join(destinationRoot, 'x') } })
  t.equal(wrongField.response.status, 422)
  t.equal(wrongField.error?.errors?.[0]?.path, 'body.path')

  const outside = await admin.POST('/v1/destinations', { body: { name: 'etc', type: 'local', path: '/etc' } })
  t.equal(outside.response.status, 422)
  t.equal(outside.error?.code, 'validation_failed')
  const climbing = await admin.POST('/v1/destinations', { body: { name: 'up', type: 'local', path: `${destinationRoot}/../../x` } })
  t.equal(climbing.response.status, 422)
  const local = await admin.POST('/v1/destinations', { body: { name: 'disk', type: 'local', path: join(destinationRoot, 'disk') } })
  t.equal(local.response.status, 201)
  t.match(local.data, { type: 'local', path: join(destinationRoot, 'disk'), enabled: true })
  const patchOutside = await admin.PATCH('/v1/destinations/{id}', { params: { path: { id: local.data?.id ?? '' } }, body: { path: '/var' } })
  t.equal(patchOutside.response.status, 422)

  t.equal((await viewer.GET('/v1/destinations/{id}', { params: { path: { id: s3Id } } })).data?.enabled, false)
  t.equal((await admin.DELETE('/v1/destinations/{id}', { params: { path: { id: s3Id } } })).response.status, 204)
  t.equal((await viewer.GET('/v1/destinations/{id}', { params: { path: { id: s3Id } } })).response.status, 404)
  t.notOk((await viewer.GET('/v1/destinations')).data?.items.some((d) => d.id === s3Id))
  t.equal((await operator.DELETE('/v1/destinations/{id}', { params: { path: { id: local.data?.id ?? '' } } })).response.status, 403)
})

t.test('plans, backups and the backup detail with restore history and restore summary', async (t) => {
  const dest = await admin.POST('/v1/destinations', { body: { name: 'd', type: 'local', path: join(destinationRoot, 'plans') } })
  const server = await admin.POST('/v1/servers', { body: { name: 's', host: 'h', username: 'u' } })
  const destinationId = dest.data?.id ?? ''
  const plan = await admin.POST('/v1/plans', {
    body: { name: 'Nightly orders', type: 'database', sourceServerId: server.data?.id, sourceDatabase: 'orders', destinationId },
  })
  t.equal(plan.response.status, 201)
  t.match(plan.data, { type: 'database', mode: 'scheduled', sourceDatabase: 'orders' })
  const planId = plan.data?.id ?? ''
  const files = await admin.POST('/v1/plans', {
    body: { name: 'Uploads', type: 'files', sourcePath: join(restoreRoot, 'uploads'), destinationId, mode: 'realtime' },
  })
  t.match(files.data, { type: 'files', mode: 'realtime' })
  const badDest = await admin.POST('/v1/plans', { body: { name: 'x', type: 'database', sourceDatabase: 'x', destinationId: crypto.randomUUID() } })
  t.equal(badDest.response.status, 422)
  t.equal(badDest.error?.errors?.[0]?.path, 'body.destinationId')
  t.equal((await operator.POST('/v1/plans', { body: { name: 'x', type: 'database', sourceDatabase: 'x', destinationId } })).response.status, 403)

  const wrongFormat = await admin.POST('/v1/backups', { body: { planId, format: 'tar', artifactKey: 'a.tar' } })
  t.equal(wrongFormat.response.status, 422)
  const registered = await admin.POST('/v1/backups', { body: { planId, format: 'pg_custom', artifactKey: 'orders/2026-01-01.dump', sizeBytes: 1234 } })
  t.equal(registered.response.status, 201)
  t.match(registered.data, { status: 'pending', planName: 'Nightly orders', destinationId, sizeBytes: 1234, snapshotLsn: null, startedAt: null, error: null })
  const backupId = registered.data?.id ?? ''
  const running = await admin.PATCH('/v1/backups/{id}', { params: { path: { id: backupId } }, body: { status: 'in_progress' } })
  t.match(running.data, { status: 'in_progress' })
  t.ok(running.data?.startedAt, 'started_at stamped')
  const sha = 'a'.repeat(64)
  const done = await admin.PATCH('/v1/backups/{id}', { params: { path: { id: backupId } }, body: { status: 'completed', sha256: sha, sizeBytes: 4321 } })
  t.match(done.data, { status: 'completed', sha256: sha, sizeBytes: 4321 })
  t.ok(done.data?.completedAt)
  const back = await admin.PATCH('/v1/backups/{id}', { params: { path: { id: backupId } }, body: { status: 'pending' } })
  t.equal(back.response.status, 409, 'a completed backup cannot go back')
  t.equal(back.error?.code, 'conflict')
  t.equal((await operator.PATCH('/v1/backups/{id}', { params: { path: { id: backupId } }, body: { sizeBytes: 1 } })).response.status, 403)
  const failedBackup = await admin.POST('/v1/backups', { body: { planId, format: 'pg_custom', artifactKey: 'f.dump', status: 'in_progress' } })
  const failed = await admin.PATCH('/v1/backups/{id}', {
    params: { path: { id: failedBackup.data?.id ?? '' } },
    body: { status: 'failed', error: { code: 'disk_full', message: 'no space left' } },
  })
  t.match(failed.data, { status: 'failed', error: { code: 'disk_full', message: 'no space left' } })
  const snap = await admin.POST('/v1/backups', { body: { planId, format: 'pg_custom', artifactKey: 's.dump', status: 'completed', snapshotLsn: '0/1924858' } })
  t.equal(snap.data?.snapshotLsn, '0/1924858')

  const r1 = await operator.POST('/v1/backups/{id}/restores', { params: { path: { id: backupId } }, body: { targetDatabase: 'one' } })
  const r2 = await operator.POST('/v1/backups/{id}/restores', { params: { path: { id: backupId } }, body: { targetDatabase: 'two' } })
  await h.database.sql`UPDATE restores SET status = 'in_progress', started_at = now() WHERE id = ${r1.data?.id ?? ''}`
  await h.database
    .sql`UPDATE restores SET status = 'failed', completed_at = now(), error_code = 'target_unreachable', error_message = 'connection refused' WHERE id = ${r1.data?.id ?? ''}`

  const detail = await viewer.GET('/v1/backups/{id}', { params: { path: { id: backupId } } })
  t.equal(detail.response.status, 200)
  t.match(detail.data, {
    id: backupId,
    plan: { id: planId, name: 'Nightly orders' },
    destination: { id: destinationId, type: 'local' },
    artifactKey: 'orders/2026-01-01.dump',
  })
  t.same(
    detail.data?.restores.items.map((r) => r.id),
    [r2.data?.id, r1.data?.id],
    'restore history newest first',
  )
  t.match(detail.data?.restores.items[1], { status: 'failed', error: { code: 'target_unreachable', message: 'connection refused' } })

  const perBackup = await viewer.GET('/v1/backups/{id}/restores', { params: { path: { id: backupId } } })
  t.same(
    perBackup.data?.items.map((r) => r.id),
    [r2.data?.id, r1.data?.id],
  )

  const planDetail = await viewer.GET('/v1/plans/{id}', { params: { path: { id: planId } } })
  t.match(planDetail.data?.restoreSummary, { total: 2, pending: 1, inProgress: 0, completed: 0, failed: 1 })
  t.equal(planDetail.data?.restoreSummary.lastRestoreAt, r2.data?.createdAt)
  const emptySummary = await viewer.GET('/v1/plans/{id}', { params: { path: { id: files.data?.id ?? '' } } })
  t.same(emptySummary.data?.restoreSummary, { total: 0, pending: 0, inProgress: 0, completed: 0, failed: 0, lastRestoreAt: null })
  const planRestores = await viewer.GET('/v1/plans/{id}/restores', { params: { path: { id: planId } } })
  t.same(
    planRestores.data?.items.map((r) => r.id),
    [r2.data?.id, r1.data?.id],
  )
  t.ok((await viewer.GET('/v1/plans')).data?.items.some((p) => p.id === planId))

  // The detail still shows a destination deleted after the backup was taken.
  await admin.DELETE('/v1/destinations/{id}', { params: { path: { id: destinationId } } })
  const afterDelete = await viewer.GET('/v1/backups/{id}', { params: { path: { id: backupId } } })
  t.equal(afterDelete.data?.destination.id, destinationId)

  // Workspace-wide restore list filters.
  const byStatus = await viewer.GET('/v1/restores', { params: { query: { status: 'failed' } } })
  t.same(
    byStatus.data?.items.map((r) => r.id),
    [r1.data?.id],
  )
  const byBackup = await viewer.GET('/v1/restores', { params: { query: { backupId } } })
  t.equal(byBackup.data?.items.length, 2)
  const byPlan = await viewer.GET('/v1/restores', { params: { query: { planId: files.data?.id ?? '' } } })
  t.same(byPlan.data?.items, [])
})

t.test('backup history filters: planId, status, from, to and q (plan name or artifact key)', async (t) => {
  const dest = await admin.POST('/v1/destinations', { body: { name: 'f', type: 'local', path: join(destinationRoot, 'filters') } })
  const destinationId = dest.data?.id ?? ''
  const alpha = await admin.POST('/v1/plans', { body: { name: 'Alpha_100% plan', type: 'database', sourceDatabase: 'a', destinationId } })
  const beta = await admin.POST('/v1/plans', { body: { name: 'Beta', type: 'database', sourceDatabase: 'b', destinationId } })
  const alphaId = alpha.data?.id ?? ''
  const betaId = beta.data?.id ?? ''
  const at = (day: number) => `2030-01-${String(day).padStart(2, '0')}T12:00:00.000000Z`
  const mk = (planId: string, key: string, status: 'completed' | 'failed', day: number) =>
    insertBackup(h.database.db, { workspaceId: team.workspaceId, planId, format: 'pg_custom', artifactKey: key, status, createdAt: at(day) })
  const a1 = await mk(alphaId, 'alpha/one.dump', 'completed', 1)
  const a2 = await mk(alphaId, 'alpha/two.dump', 'failed', 2)
  const b1 = await mk(betaId, 'beta/special-key.dump', 'completed', 3)
  const ids = async (query: Record<string, string>) =>
    (await viewer.GET('/v1/backups', { params: { query: { from: at(1), to: at(3), ...query } } })).data?.items.map((b) => b.id)

  t.same(await ids({}), [b1.id, a2.id, a1.id], 'newest first within the window')
  t.same(await ids({ planId: alphaId }), [a2.id, a1.id])
  t.same(await ids({ status: 'completed' }), [b1.id, a1.id])
  t.same(await ids({ from: at(2) }), [b1.id, a2.id])
  t.same(await ids({ to: at(2) }), [a2.id, a1.id])
  t.same(await ids({ q: 'SPECIAL' }), [b1.id], 'q matches the artifact key, case-insensitively')
  t.same(await ids({ q: 'alpha_100%' }), [a2.id, a1.id], 'q matches the plan name with % and _ taken literally')
  t.same(await ids({ q: 'special_key' }), [], 'underscore is not a wildcard')
  const bad = await viewer.GET('/v1/backups', { params: { query: { status: 'bogus' as never } } })
  t.equal(bad.response.status, 400)
})

t.test('a stored password never follows a server to another host: moving the connection needs it again', async (t) => {
  const admin = h.client(team.admin.token)
  const created = await admin.POST('/v1/servers', { body: { name: 'guarded', host: 'db.internal', username: 'app', password: 'hunter2' } })
  const id = created.data?.id ?? ''
  for (const body of [{ host: 'attacker.example' }, { port: 6543 }, { username: 'other' }, { sslmode: 'disable' as const }]) {
    const res = await admin.PATCH('/v1/servers/{id}', { params: { path: { id } }, body })
    t.equal(res.error?.code, 'validation_failed', JSON.stringify(body))
  }
  t.equal((await admin.GET('/v1/servers/{id}', { params: { path: { id } } })).data?.host, 'db.internal', 'nothing changed')
  t.equal(
    (await admin.PATCH('/v1/servers/{id}', { params: { path: { id } }, body: { name: 'renamed' } })).response.status,
    200,
    'other fields need no password',
  )
  const moved = await admin.PATCH('/v1/servers/{id}', { params: { path: { id } }, body: { host: 'db2.internal', password: 'new-secret' } })
  t.match(moved.data, { host: 'db2.internal', hasPassword: true })
})
