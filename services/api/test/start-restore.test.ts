// Starting restores: refusals happen before any record exists, the effective target comes from
// the plan, the record and its pg-boss job are created atomically, and Idempotency-Key replays.
import { join } from 'node:path'
import { deleteExpiredIdempotencyKeys, insertBackup, insertPlan, insertServer } from '@devpilot/db'
import { seedDatabaseBackup, seedWorkspace } from '@devpilot/devenv/testing'
import t from 'tap'
import { seedTeam, startApi } from './support/api-harness.js'

const h = await startApi(t)
const team = await seedTeam(h)
// Roots are per workspace: this team's folders are `<root>/<slug>`.
const destinationRoot = join(h.destinationRoot, team.slug)
const restoreRoot = join(h.restoreRoot, team.slug)
const { db, sql } = h.database
const seeded = await seedDatabaseBackup(db, h.box, { workspaceId: team.workspaceId, destinationPath: join(destinationRoot, 'a'), sourceDatabase: 'app' })
const operator = h.client(team.operator.token)

async function restoreCount(): Promise<number> {
  const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM restores`
  return row?.n ?? 0
}
async function jobsFor(restoreId: string): Promise<number> {
  const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'restore' AND data->>'restoreId' = ${restoreId}`
  return row?.n ?? 0
}

t.test('an operator starts a restore: 202 with a pending record on the plan defaults and one queued job', async (t) => {
  const res = await operator.POST('/v1/backups/{id}/restores', { params: { path: { id: seeded.backupId } }, body: {} })
  t.equal(res.response.status, 202)
  const restore = res.data
  if (!restore) throw new Error('no restore returned')
  t.match(restore, {
    backupId: seeded.backupId,
    planId: seeded.planId,
    status: 'pending',
    target: { serverId: seeded.serverId, database: 'app', path: null, overwrite: false },
    triggeredBy: { userId: team.operator.userId, email: team.operator.email },
    startedAt: null,
    completedAt: null,
    error: null,
    progress: { bytesDone: 0, bytesTotal: null },
    pointInTime: null,
  })
  t.equal(await jobsFor(restore.id), 1, 'the job carries the restore id')
  const again = await operator.GET('/v1/restores/{id}', { params: { path: { id: restore.id } } })
  t.same(again.data, restore)
})

t.test('explicit target fields override the plan defaults', async (t) => {
  const other = await insertServer(db, h.box, { workspaceId: team.workspaceId, name: 'staging', host: 'staging.internal', username: 'postgres' })
  const res = await operator.POST('/v1/backups/{id}/restores', {
    params: { path: { id: seeded.backupId } },
    body: { targetServerId: other.id, targetDatabase: 'app_copy', overwrite: true },
  })
  t.equal(res.response.status, 202)
  t.same(res.data?.target, { serverId: other.id, database: 'app_copy', path: null, overwrite: true })
})

t.test('a viewer may not start restores (403 forbidden) and nothing is created', async (t) => {
  const before = await restoreCount()
  const res = await h.client(team.viewer.token).POST('/v1/backups/{id}/restores', { params: { path: { id: seeded.backupId } }, body: {} })
  t.equal(res.response.status, 403)
  t.equal(res.error?.code, 'forbidden')
  t.equal(await restoreCount(), before)
})

t.test('backups that are not completed are refused with 409 backup_not_restorable before any record exists', async (t) => {
  for (const status of ['pending', 'in_progress', 'failed', 'cancelled'] as const) {
    const { id } = await insertBackup(db, { workspaceId: team.workspaceId, planId: seeded.planId, format: 'pg_custom', artifactKey: `x-${status}`, status })
    const before = await restoreCount()
    const res = await operator.POST('/v1/backups/{id}/restores', { params: { path: { id } }, body: {} })
    t.equal(res.response.status, 409, status)
    t.equal(res.error?.code, 'backup_not_restorable')
    t.equal(await restoreCount(), before, `no record for a ${status} backup`)
  }
})

t.test('422 target_required when the plan has no usable source server and none is given', async (t) => {
  const noServerPlan = await insertPlan(db, {
    workspaceId: team.workspaceId,
    name: 'orphan',
    type: 'database',
    sourceServerId: null,
    sourceDatabase: 'app',
    destinationId: seeded.destinationId,
  })
  const b1 = await insertBackup(db, { workspaceId: team.workspaceId, planId: noServerPlan.id, format: 'pg_custom', artifactKey: 'o.dump', status: 'completed' })
  const res = await operator.POST('/v1/backups/{id}/restores', { params: { path: { id: b1.id } }, body: {} })
  t.equal(res.response.status, 422)
  t.equal(res.error?.code, 'target_required')

  const gone = await insertServer(db, h.box, { workspaceId: team.workspaceId, name: 'gone', host: 'gone', username: 'u' })
  const plan = await insertPlan(db, {
    workspaceId: team.workspaceId,
    name: 'p',
    type: 'database',
    sourceServerId: gone.id,
    sourceDatabase: 'app',
    destinationId: seeded.destinationId,
  })
  const b2 = await insertBackup(db, { workspaceId: team.workspaceId, planId: plan.id, format: 'pg_custom', artifactKey: 'p.dump', status: 'completed' })
  await h.client(team.admin.token).DELETE('/v1/servers/{id}', { params: { path: { id: gone.id } } })
  const afterDelete = await operator.POST('/v1/backups/{id}/restores', { params: { path: { id: b2.id } }, body: {} })
  t.equal(afterDelete.response.status, 422, 'the source server was deleted')
  t.equal(afterDelete.error?.code, 'target_required')
})

t.test('kind mismatches and foreign or deleted target servers are 422 validation_failed', async (t) => {
  const pathForDb = await operator.POST('/v1/backups/{id}/restores', {
    params: { path: { id: seeded.backupId } },
    body: { targetPath: join(restoreRoot, 'x') },
  })
  t.equal(pathForDb.response.status, 422)
  t.equal(pathForDb.error?.code, 'validation_failed')
  t.equal(pathForDb.error?.errors?.[0]?.path, 'body.targetPath')

  const elsewhere = await seedWorkspace(db)
  const foreign = await insertServer(db, h.box, { workspaceId: elsewhere.workspaceId, name: 'theirs', host: 'theirs', username: 'u' })
  const foreignRes = await operator.POST('/v1/backups/{id}/restores', { params: { path: { id: seeded.backupId } }, body: { targetServerId: foreign.id } })
  t.equal(foreignRes.response.status, 422)
  t.equal(foreignRes.error?.errors?.[0]?.path, 'body.targetServerId')

  const filesPlan = await insertPlan(db, {
    workspaceId: team.workspaceId,
    name: 'files',
    type: 'files',
    sourcePath: join(restoreRoot, 'site'),
    destinationId: seeded.destinationId,
  })
  const filesBackup = await insertBackup(db, {
    workspaceId: team.workspaceId,
    planId: filesPlan.id,
    format: 'tar_gz',
    artifactKey: 'site.tgz',
    status: 'completed',
  })
  const dbForFiles = await operator.POST('/v1/backups/{id}/restores', { params: { path: { id: filesBackup.id } }, body: { targetDatabase: 'app' } })
  t.equal(dbForFiles.response.status, 422)
  t.equal(dbForFiles.error?.errors?.[0]?.path, 'body.targetDatabase')
  const serverForFiles = await operator.POST('/v1/backups/{id}/restores', {
    params: { path: { id: filesBackup.id } },
    body: { targetServerId: seeded.serverId },
  })
  t.equal(serverForFiles.response.status, 422)

  const ok = await operator.POST('/v1/backups/{id}/restores', { params: { path: { id: filesBackup.id } }, body: {} })
  t.equal(ok.response.status, 202, 'a files backup defaults to the plan source path')
  t.same(ok.data?.target, { serverId: null, database: null, path: join(restoreRoot, 'site'), overwrite: false })
})

t.test('target paths outside RESTORE_PATH_ROOTS are refused, including `..` escapes', async (t) => {
  const filesPlan = await insertPlan(db, {
    workspaceId: team.workspaceId,
    name: 'files2',
    type: 'files',
    sourcePath: '/etc',
    destinationId: seeded.destinationId,
  })
  const backup = await insertBackup(db, { workspaceId: team.workspaceId, planId: filesPlan.id, format: 'tar', artifactKey: 'etc.tar', status: 'completed' })
  const before = await restoreCount()
  for (const targetPath of [undefined, '/tmp/elsewhere', `${restoreRoot}/../escape`, 'relative/path', `${restoreRoot}-sibling`]) {
    const res = await operator.POST('/v1/backups/{id}/restores', { params: { path: { id: backup.id } }, body: targetPath === undefined ? {} : { targetPath } })
    t.equal(res.response.status, 422, `refuses ${targetPath ?? 'the plan default /etc'}`)
    t.equal(res.error?.code, 'validation_failed')
  }
  t.equal(await restoreCount(), before)
  const inside = await operator.POST('/v1/backups/{id}/restores', { params: { path: { id: backup.id } }, body: { targetPath: `${restoreRoot}/a/../b` } })
  t.equal(inside.response.status, 202)
  t.equal(inside.data?.target.path, join(restoreRoot, 'b'), 'stored normalised')
})

t.test('the same Idempotency-Key and body return the same restore; a different body is 409 idempotency_conflict', async (t) => {
  const keyed = h.client(team.operator.token, { 'idempotency-key': 'restore-42' })
  const first = await keyed.POST('/v1/backups/{id}/restores', { params: { path: { id: seeded.backupId } }, body: { targetDatabase: 'idem' } })
  t.equal(first.response.status, 202)
  const id = first.data?.id ?? ''
  const second = await keyed.POST('/v1/backups/{id}/restores', { params: { path: { id: seeded.backupId } }, body: { targetDatabase: 'idem' } })
  t.equal(second.response.status, 200)
  t.equal(second.response.headers.get('idempotent-replayed'), 'true')
  t.same(second.data, first.data)
  const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM restores WHERE idempotency_key = 'restore-42'`
  t.equal(row?.n, 1, 'one record')
  t.equal(await jobsFor(id), 1, 'one job')

  const conflict = await keyed.POST('/v1/backups/{id}/restores', { params: { path: { id: seeded.backupId } }, body: { targetDatabase: 'other' } })
  t.equal(conflict.response.status, 409)
  t.equal(conflict.error?.code, 'idempotency_conflict')

  const parallel = h.client(team.operator.token, { 'idempotency-key': 'parallel-1' })
  const results = await Promise.all(
    Array.from({ length: 5 }, () => parallel.POST('/v1/backups/{id}/restores', { params: { path: { id: seeded.backupId } }, body: { targetDatabase: 'par' } })),
  )
  t.same(new Set(results.map((r) => r.data?.id)).size, 1, 'concurrent duplicates share one restore')
  t.same(results.map((r) => r.response.status).sort(), [200, 200, 200, 200, 202])
})

t.test('an Idempotency-Key expires after IDEMPOTENCY_KEY_TTL_SECONDS (24 h): then it starts a new restore', async (t) => {
  const keyed = h.client(team.operator.token, { 'idempotency-key': 'daily-7' })
  const start = (targetDatabase: string) => keyed.POST('/v1/backups/{id}/restores', { params: { path: { id: seeded.backupId } }, body: { targetDatabase } })
  const first = await start('expiring')
  t.equal(first.response.status, 202)
  t.equal((await start('expiring')).response.status, 200, 'replayed while the key is live')
  // Let 24 h pass for this key (the real clock cannot be moved): its binding is dated back.
  await sql`UPDATE restore_idempotency_keys SET created_at = now() - interval '24 hours 1 second' WHERE key = 'daily-7'`
  const again = await start('expiring')
  t.equal(again.response.status, 202, 'the same key and body start a new restore')
  t.not(again.data?.id, first.data?.id)
  t.equal((await start('expiring')).data?.id, again.data?.id, 'the key now names the new restore')
  t.equal((await start('elsewhere')).error?.code, 'idempotency_conflict', 'and conflicts like any live key')
  const [first_] = await sql<{ key: string | null }[]>`SELECT idempotency_key AS key FROM restores WHERE id = ${first.data?.id ?? ''}`
  t.equal(first_?.key, 'daily-7', 'the first restore keeps the key it was requested with')

  await sql`UPDATE restore_idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'daily-7'`
  t.equal(await deleteExpiredIdempotencyKeys(db, { ttlSeconds: 86_400, limit: 100 }), 1, 'the sweep drops the expired binding')
  const [left] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM restore_idempotency_keys WHERE key = 'daily-7'`
  t.equal(left?.n, 0)
})

t.test('when the enqueue fails no restore record remains', async (t) => {
  // A real failure of pg-boss's INSERT inside our transaction: a trigger in this file's database refuses it.
  await sql.unsafe(`
    CREATE FUNCTION refuse_job() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'queue unavailable'; END $$;
    CREATE TRIGGER refuse_job BEFORE INSERT ON pgboss.job FOR EACH ROW EXECUTE FUNCTION refuse_job();`)
  t.teardown(() => sql.unsafe('DROP TRIGGER refuse_job ON pgboss.job; DROP FUNCTION refuse_job();'))
  const before = await restoreCount()
  const res = await h.client(team.operator.token, { 'idempotency-key': 'doomed' }).POST('/v1/backups/{id}/restores', {
    params: { path: { id: seeded.backupId } },
    body: { targetDatabase: 'doomed' },
  })
  t.equal(res.response.status, 500)
  t.equal(res.error?.code, 'internal_error')
  t.notMatch(res.error?.detail ?? '', /queue unavailable/, 'the database error stays in the logs')
  t.equal(await restoreCount(), before, 'the record was rolled back with the job')
  const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM restores WHERE target_database = 'doomed'`
  t.equal(row?.n, 0)
})

t.test('an unknown backup is 404 not_found', async (t) => {
  const res = await operator.POST('/v1/backups/{id}/restores', { params: { path: { id: crypto.randomUUID() } }, body: {} })
  t.equal(res.response.status, 404)
  t.equal(res.error?.code, 'not_found')
})

t.test("another workspace's folders are off limits: no restore into them, no destination reading from them", async (t) => {
  const other = await seedTeam(h)
  const files = await insertPlan(db, {
    workspaceId: team.workspaceId,
    name: 'site files',
    type: 'files',
    sourcePath: join(restoreRoot, 'site'),
    destinationId: seeded.destinationId,
  })
  const backup = await insertBackup(db, { workspaceId: team.workspaceId, planId: files.id, format: 'tar_gz', artifactKey: 'site.tgz', status: 'completed' })
  for (const targetPath of [join(h.restoreRoot, other.slug, 'site'), h.restoreRoot, join(h.restoreRoot, `${team.slug}-evil`)]) {
    const res = await operator.POST('/v1/backups/{id}/restores', { params: { path: { id: backup.id } }, body: { targetPath } })
    t.equal(res.error?.code, 'validation_failed', targetPath)
  }
  const admin = h.client(team.admin.token)
  for (const path of [join(h.destinationRoot, other.slug), h.destinationRoot]) {
    const res = await admin.POST('/v1/destinations', { body: { name: 'peek', type: 'local', path } })
    t.equal(res.error?.code, 'validation_failed', path)
  }
})

t.test('database names PostgreSQL would truncate or that name a template are refused', async (t) => {
  for (const targetDatabase of ['é'.repeat(32), 'template0', 'template1', 'a\u0000b']) {
    const res = await operator.POST('/v1/backups/{id}/restores', { params: { path: { id: seeded.backupId } }, body: { targetDatabase } })
    t.equal(res.error?.code, 'validation_failed', JSON.stringify(targetDatabase))
  }
  const ok = await operator.POST('/v1/backups/{id}/restores', { params: { path: { id: seeded.backupId } }, body: { targetDatabase: 'é'.repeat(31) } })
  t.equal(ok.response.status, 202, '62 bytes is fine')
})
