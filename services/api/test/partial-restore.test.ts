// Partial restores at the API: the selection (`include`, `targetSchema`) is validated before any
// record exists (400 validation_failed naming the field, 422 partial_unsupported for plain dumps),
// stored on the record as accepted, and part of the Idempotency-Key fingerprint.
import { join } from 'node:path'
import type { Schemas } from '@devpilot/api-client'
import { insertBackup, insertPlan } from '@devpilot/db'
import { seedDatabaseBackup } from '@devpilot/devenv/testing'
import t from 'tap'
import { seedTeam, startApi } from './support/api-harness.js'

const h = await startApi(t)
const team = await seedTeam(h)
const destinationRoot = join(h.destinationRoot, team.slug)
const restoreRoot = join(h.restoreRoot, team.slug)
const { db, sql } = h.database
const seeded = await seedDatabaseBackup(db, h.box, { workspaceId: team.workspaceId, destinationPath: join(destinationRoot, 'a'), sourceDatabase: 'app' })
const operator = h.client(team.operator.token)
const filesPlan = await insertPlan(db, {
  workspaceId: team.workspaceId,
  name: 'site',
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

async function restoreCount(): Promise<number> {
  const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM restores`
  return row?.n ?? 0
}

type Body = Partial<Schemas['RestoreStart']>

async function start(backupId: string, body: Body) {
  return operator.POST('/v1/backups/{id}/restores', { params: { path: { id: backupId } }, body })
}

t.test('a database selection is stored on the record exactly as accepted, names needing quotes included', async (t) => {
  const tables = ['public.orders', '"sales.eu"."line ""items"""', 'public."x; DROP TABLE y"', 'Ünïcode."Grand Total"', 'public.Orders']
  const res = await start(seeded.backupId, { targetDatabase: 'app_partial', include: { schemas: ['audit'], tables }, targetSchema: 'recovered' })
  t.equal(res.response.status, 202)
  t.same(res.data?.include, { schemas: ['audit'], tables })
  t.equal(res.data?.targetSchema, 'recovered')
  const [row] = await sql<{ include: unknown; target_schema: string }[]>`SELECT include, target_schema FROM restores WHERE id = ${res.data?.id ?? ''}`
  t.same(row, { include: { schemas: ['audit'], tables }, target_schema: 'recovered' })
  const whole = await start(seeded.backupId, { targetDatabase: 'app_whole' })
  t.equal(whole.data?.include, null, 'a whole restore has include null')
  t.equal(whole.data?.targetSchema, null)
})

t.test('bad database selections are 400 validation_failed naming the field, and nothing is created', async (t) => {
  const cases: Array<[string, Body, string]> = [
    ['empty selection', { include: {} }, 'body.include'],
    ['empty lists', { include: { schemas: [], tables: [] } }, 'body.include'],
    ['no dot', { include: { tables: ['orders'] } }, 'body.include.tables.0'],
    ['three parts', { include: { tables: ['a.b.c'] } }, 'body.include.tables.0'],
    ['unterminated quote', { include: { tables: ['public."orders'] } }, 'body.include.tables.0'],
    ['bare quote', { include: { tables: ['public.ord"ers'] } }, 'body.include.tables.0'],
    ['empty part', { include: { tables: ['public.'] } }, 'body.include.tables.0'],
    ['too long part', { include: { tables: [`public.${'x'.repeat(64)}`] } }, 'body.include.tables.0'],
    ['duplicate table', { include: { tables: ['public.orders', 'public."orders"'] } }, 'body.include.tables.1'],
    ['duplicate schema', { include: { schemas: ['a', 'a'] } }, 'body.include.schemas.1'],
    ['table inside a selected schema', { include: { schemas: ['sales'], tables: ['sales.orders'] } }, 'body.include.tables.0'],
    ['paths on a database backup', { include: { paths: ['etc'] } }, 'body.include.paths'],
    ['targetSchema without include', { targetSchema: 'recovered' }, 'body.targetSchema'],
    ['reserved targetSchema', { include: { tables: ['public.orders'] }, targetSchema: 'pg_temp' }, 'body.targetSchema'],
  ]
  for (const [name, body, path] of cases) {
    const before = await restoreCount()
    const res = await start(seeded.backupId, body)
    t.equal(res.response.status, 400, name)
    t.equal(res.error?.code, 'validation_failed', name)
    t.equal(res.error?.errors?.[0]?.path, path, name)
    t.equal(await restoreCount(), before, `${name}: no record`)
  }
})

t.test('bad file selections are 400 validation_failed naming the field', async (t) => {
  const cases: Array<[string, Body, string]> = [
    ['empty paths', { include: { paths: [] } }, 'body.include.paths'],
    ['no paths', { include: {} }, 'body.include.paths'],
    ['absolute', { include: { paths: ['/etc/passwd'] } }, 'body.include.paths.0'],
    ['dot-dot', { include: { paths: ['a/../../b'] } }, 'body.include.paths.0'],
    ['root', { include: { paths: ['./'] } }, 'body.include.paths.0'],
    ['duplicate', { include: { paths: ['conf', './conf/'] } }, 'body.include.paths.1'],
    ['inside another', { include: { paths: ['conf', 'conf/app.ini'] } }, 'body.include.paths.1'],
    ['tables on files', { include: { tables: ['public.orders'] } }, 'body.include.tables'],
    ['schemas on files', { include: { schemas: ['public'] } }, 'body.include.schemas'],
    ['targetSchema on files', { include: { paths: ['conf'] }, targetSchema: 'x' }, 'body.targetSchema'],
  ]
  for (const [name, body, path] of cases) {
    const before = await restoreCount()
    const res = await start(filesBackup.id, body)
    t.equal(res.response.status, 400, name)
    t.equal(res.error?.code, 'validation_failed', name)
    t.equal(res.error?.errors?.[0]?.path, path, name)
    t.equal(await restoreCount(), before, `${name}: no record`)
  }
  const ok = await start(filesBackup.id, { include: { paths: ['./conf/', 'www/index.html'] } })
  t.equal(ok.response.status, 202)
  t.same(ok.data?.include, { paths: ['conf', 'www/index.html'] }, 'paths are stored normalised')
})

t.test('plain dumps cannot be restored partially: 422 partial_unsupported', async (t) => {
  for (const format of ['pg_plain', 'pg_plain_gz'] as const) {
    const backup = await insertBackup(db, { workspaceId: team.workspaceId, planId: seeded.planId, format, artifactKey: `x.${format}`, status: 'completed' })
    const before = await restoreCount()
    const res = await start(backup.id, { include: { tables: ['public.orders'] } })
    t.equal(res.response.status, 422, format)
    t.equal(res.error?.code, 'partial_unsupported', format)
    t.equal(await restoreCount(), before)
    const whole = await start(backup.id, { targetDatabase: `whole_${format}` })
    t.equal(whole.response.status, 202, 'the same backup restores whole')
  }
  const tar = await insertBackup(db, { workspaceId: team.workspaceId, planId: seeded.planId, format: 'pg_tar', artifactKey: 'x.tar', status: 'completed' })
  t.equal((await start(tar.id, { targetDatabase: 'tarpartial', include: { tables: ['public.orders'] } })).response.status, 202, 'pg_tar is fine')
})

t.test('the selection is part of the Idempotency-Key fingerprint', async (t) => {
  const keyed = h.client(team.operator.token, { 'idempotency-key': 'partial-1' })
  const body = { targetDatabase: 'idem', include: { tables: ['public.orders'] }, targetSchema: 'back' }
  const first = await keyed.POST('/v1/backups/{id}/restores', { params: { path: { id: seeded.backupId } }, body })
  t.equal(first.response.status, 202)
  const replay = await keyed.POST('/v1/backups/{id}/restores', { params: { path: { id: seeded.backupId } }, body })
  t.equal(replay.response.status, 200)
  t.equal(replay.data?.id, first.data?.id)
  for (const other of [{ ...body, include: { tables: ['public.customers'] } }, { ...body, targetSchema: 'elsewhere' }, { targetDatabase: 'idem' }]) {
    const conflict = await keyed.POST('/v1/backups/{id}/restores', { params: { path: { id: seeded.backupId } }, body: other })
    t.equal(conflict.response.status, 409)
    t.equal(conflict.error?.code, 'idempotency_conflict')
  }
})
