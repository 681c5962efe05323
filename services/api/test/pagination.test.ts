// Keyset pagination: walking every page returns each row exactly once, newest first, even when
// many rows share one created_at; cursors are opaque and validated.
import { join } from 'node:path'
import { insertBackup } from '@devpilot/db'
import { seedDatabaseBackup } from '@devpilot/devenv/testing'
import t from 'tap'
import { seedTeam, startApi } from './support/api-harness.js'

const h = await startApi(t)
const team = await seedTeam(h)
const seeded = await seedDatabaseBackup(h.database.db, h.box, { workspaceId: team.workspaceId, destinationPath: join(h.destinationRoot, 'p') })
const viewer = h.client(team.viewer.token)

// 55 more backups: groups of identical created_at so ties must be broken by id.
for (let i = 0; i < 55; i++) {
  const createdAt = `2031-06-${String(1 + Math.floor(i / 5)).padStart(2, '0')}T08:00:00.123456Z`
  await insertBackup(h.database.db, {
    workspaceId: team.workspaceId,
    planId: seeded.planId,
    format: 'pg_custom',
    artifactKey: `k${i}`,
    status: 'completed',
    createdAt,
  })
}

t.test('walking backup pages with limit 20 returns all 56 rows once, in (createdAt, id) descending order', async (t) => {
  const seen: string[] = []
  let cursor: string | undefined
  let pages = 0
  do {
    const res = await viewer.GET('/v1/backups', { params: { query: { limit: 20, ...(cursor ? { cursor } : {}) } } })
    t.equal(res.response.status, 200)
    const page = res.data
    if (!page) throw new Error('no page')
    seen.push(...page.items.map((b) => b.id))
    cursor = page.nextCursor ?? undefined
    pages++
  } while (cursor && pages < 10)
  t.equal(pages, 3)
  t.equal(seen.length, 56)
  t.equal(new Set(seen).size, 56, 'no duplicates')
  const expected = await h.database.sql<{ id: string }[]>`SELECT id FROM backups WHERE workspace_id = ${team.workspaceId} ORDER BY created_at DESC, id DESC`
  t.same(
    seen,
    expected.map((r) => r.id),
    'no gaps, newest first, ties broken by id',
  )
})

t.test('page size defaults to 20 and the last page has no nextCursor', async (t) => {
  const first = await viewer.GET('/v1/backups')
  t.equal(first.data?.items.length, 20)
  t.type(first.data?.nextCursor, 'string')
  const all = await viewer.GET('/v1/backups', { params: { query: { limit: 100 } } })
  t.equal(all.data?.items.length, 56)
  t.equal(all.data?.nextCursor, null)
})

t.test('restore lists paginate the same way', async (t) => {
  for (let i = 0; i < 7; i++) {
    await h.client(team.operator.token).POST('/v1/backups/{id}/restores', { params: { path: { id: seeded.backupId } }, body: { targetDatabase: `r${i}` } })
  }
  const p1 = await viewer.GET('/v1/plans/{id}/restores', { params: { path: { id: seeded.planId }, query: { limit: 3 } } })
  const p2 = await viewer.GET('/v1/plans/{id}/restores', { params: { path: { id: seeded.planId }, query: { limit: 3, cursor: p1.data?.nextCursor ?? '' } } })
  const p3 = await viewer.GET('/v1/plans/{id}/restores', { params: { path: { id: seeded.planId }, query: { limit: 3, cursor: p2.data?.nextCursor ?? '' } } })
  const ids = [...(p1.data?.items ?? []), ...(p2.data?.items ?? []), ...(p3.data?.items ?? [])].map((r) => r.target.database)
  t.same(ids, ['r6', 'r5', 'r4', 'r3', 'r2', 'r1', 'r0'])
  t.equal(p3.data?.nextCursor, null)
})

t.test('a cursor this API did not issue and a limit outside 1..100 are 400 validation_failed', async (t) => {
  for (const cursor of ['garbage', Buffer.from('["x","y"]').toString('base64url')]) {
    const res = await viewer.GET('/v1/backups', { params: { query: { cursor } } })
    t.equal(res.response.status, 400)
    t.equal(res.error?.code, 'validation_failed')
    t.equal(res.error?.errors?.[0]?.path, 'cursor')
  }
  t.equal((await viewer.GET('/v1/backups', { params: { query: { limit: 101 } } })).response.status, 400)
})
