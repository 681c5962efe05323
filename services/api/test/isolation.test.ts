// Workspace isolation: a second workspace's admin token sees and touches nothing of the first
// workspace, on every route; foreign ids answer 404 exactly like ids that do not exist.
import { join } from 'node:path'
import { seedDatabaseBackup, seedWorkspace } from '@devpilot/devenv/testing'
import t from 'tap'
import { seedTeam, startApi } from './support/api-harness.js'

const h = await startApi(t)
const team = await seedTeam(h)
const seeded = await seedDatabaseBackup(h.database.db, h.box, { workspaceId: team.workspaceId, destinationPath: join(h.destinationRoot, 'iso') })
const owner = h.client(team.admin.token)
const started = await owner.POST('/v1/backups/{id}/restores', { params: { path: { id: seeded.backupId } }, body: {} })
const restoreId = started.data?.id ?? ''
const outsider = await seedWorkspace(h.database.db)
const other = h.client(outsider.token)

t.test("the other workspace's lists are empty", async (t) => {
  t.same((await other.GET('/v1/servers')).data?.items, [])
  t.same((await other.GET('/v1/destinations')).data?.items, [])
  t.same((await other.GET('/v1/plans')).data?.items, [])
  t.same((await other.GET('/v1/backups')).data?.items, [])
  t.same((await other.GET('/v1/restores')).data?.items, [])
  t.same((await other.GET('/v1/backups', { params: { query: { planId: seeded.planId } } })).data?.items, [])
  t.same((await other.GET('/v1/restores', { params: { query: { backupId: seeded.backupId } } })).data?.items, [])
})

t.test("every route answers 404 for the first workspace's ids and changes nothing", async (t) => {
  const results: Array<[string, number]> = [
    ['GET server', (await other.GET('/v1/servers/{id}', { params: { path: { id: seeded.serverId } } })).response.status],
    ['PATCH server', (await other.PATCH('/v1/servers/{id}', { params: { path: { id: seeded.serverId } }, body: { name: 'pwned' } })).response.status],
    ['DELETE server', (await other.DELETE('/v1/servers/{id}', { params: { path: { id: seeded.serverId } } })).response.status],
    ['GET destination', (await other.GET('/v1/destinations/{id}', { params: { path: { id: seeded.destinationId } } })).response.status],
    [
      'PATCH destination',
      (await other.PATCH('/v1/destinations/{id}', { params: { path: { id: seeded.destinationId } }, body: { enabled: false } })).response.status,
    ],
    ['DELETE destination', (await other.DELETE('/v1/destinations/{id}', { params: { path: { id: seeded.destinationId } } })).response.status],
    ['GET plan', (await other.GET('/v1/plans/{id}', { params: { path: { id: seeded.planId } } })).response.status],
    ['GET plan restores', (await other.GET('/v1/plans/{id}/restores', { params: { path: { id: seeded.planId } } })).response.status],
    ['GET backup', (await other.GET('/v1/backups/{id}', { params: { path: { id: seeded.backupId } } })).response.status],
    ['PATCH backup', (await other.PATCH('/v1/backups/{id}', { params: { path: { id: seeded.backupId } }, body: { sizeBytes: 1 } })).response.status],
    ['GET backup restores', (await other.GET('/v1/backups/{id}/restores', { params: { path: { id: seeded.backupId } } })).response.status],
    ['POST restore', (await other.POST('/v1/backups/{id}/restores', { params: { path: { id: seeded.backupId } }, body: {} })).response.status],
    ['GET restore', (await other.GET('/v1/restores/{id}', { params: { path: { id: restoreId } } })).response.status],
    ['GET restore events', (await fetch(`${h.baseUrl}/v1/restores/${restoreId}/events`, { headers: { authorization: `Bearer ${outsider.token}` } })).status],
  ]
  for (const [what, status] of results) t.equal(status, 404, what)
  const server = await owner.GET('/v1/servers/{id}', { params: { path: { id: seeded.serverId } } })
  t.equal(server.data?.name, 'primary', 'nothing changed')
  t.equal((await owner.GET('/v1/destinations/{id}', { params: { path: { id: seeded.destinationId } } })).data?.enabled, true)
})

t.test("the first workspace's ids cannot be referenced from the other workspace's bodies", async (t) => {
  const plan = await other.POST('/v1/plans', { body: { name: 'x', type: 'database', sourceDatabase: 'x', destinationId: seeded.destinationId } })
  t.equal(plan.response.status, 422)
  const backup = await other.POST('/v1/backups', { body: { planId: seeded.planId, format: 'pg_custom', artifactKey: 'x' } })
  t.equal(backup.response.status, 422)
  t.equal(backup.error?.errors?.[0]?.path, 'body.planId')
})
