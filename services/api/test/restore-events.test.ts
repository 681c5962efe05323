// Server-sent events: the current state first, then every status and progress change as the
// runner would write it, and the stream ends after the terminal state.
import { join } from 'node:path'
import { restoreSchema } from '@devpilot/contracts'
import { seedDatabaseBackup } from '@devpilot/devenv/testing'
import t from 'tap'
import { seedTeam, startApi } from './support/api-harness.js'

const h = await startApi(t)
const team = await seedTeam(h)
const seeded = await seedDatabaseBackup(h.database.db, h.box, { workspaceId: team.workspaceId, destinationPath: join(h.destinationRoot, 'sse') })
const { sql } = h.database

async function* events(restoreId: string): AsyncGenerator<unknown> {
  const res = await fetch(`${h.baseUrl}/v1/restores/${restoreId}/events`, { headers: { authorization: `Bearer ${team.viewer.token}` } })
  if (res.status !== 200 || !res.body) throw new Error(`stream answered ${res.status}`)
  if (!res.headers.get('content-type')?.startsWith('text/event-stream')) throw new Error('not an event stream')
  const decoder = new TextDecoder()
  let buffer = ''
  for await (const chunk of res.body) {
    buffer += decoder.decode(chunk, { stream: true })
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const data = block.split('\n').find((l) => l.startsWith('data: '))
      if (data) yield JSON.parse(data.slice('data: '.length))
    }
  }
}

t.test('the stream sends the current state, each change, and ends after the terminal state', async (t) => {
  const started = await h.client(team.operator.token).POST('/v1/backups/{id}/restores', { params: { path: { id: seeded.backupId } }, body: {} })
  const id = started.data?.id ?? ''
  const received: Array<{ status: string; bytesDone: number }> = []
  const stream = events(id)
  const first = await stream.next()
  const firstRestore = restoreSchema.parse(first.value)
  received.push({ status: firstRestore.status, bytesDone: firstRestore.progress.bytesDone })

  // Act as the runner, one change at a time, waiting for each event before the next write.
  const steps = [
    sql`UPDATE restores SET status = 'in_progress', started_at = now(), bytes_total = 300 WHERE id = ${id}`,
    sql`UPDATE restores SET bytes_done = 100 WHERE id = ${id}`,
    sql`UPDATE restores SET bytes_done = 300 WHERE id = ${id}`,
    sql`UPDATE restores SET status = 'completed', completed_at = now() WHERE id = ${id}`,
  ]
  for (const step of steps) {
    await step
    const next = await stream.next()
    if (next.done) break
    const restore = restoreSchema.parse(next.value)
    received.push({ status: restore.status, bytesDone: restore.progress.bytesDone })
  }
  t.same(received, [
    { status: 'pending', bytesDone: 0 },
    { status: 'in_progress', bytesDone: 0 },
    { status: 'in_progress', bytesDone: 100 },
    { status: 'in_progress', bytesDone: 300 },
    { status: 'completed', bytesDone: 300 },
  ])
  const end = await stream.next()
  t.equal(end.done, true, 'the server closed the stream after the terminal state')
})

t.test('a terminal restore streams its state once and closes; an unknown id is 404', async (t) => {
  const started = await h
    .client(team.operator.token)
    .POST('/v1/backups/{id}/restores', { params: { path: { id: seeded.backupId } }, body: { targetDatabase: 'x' } })
  const id = started.data?.id ?? ''
  await sql`UPDATE restores SET status = 'failed', started_at = now(), completed_at = now(), error_code = 'runner_lost', error_message = 'gone' WHERE id = ${id}`
  const all: unknown[] = []
  for await (const e of events(id)) all.push(e)
  t.equal(all.length, 1)
  t.match(all[0], { id, status: 'failed', error: { code: 'runner_lost' } })
  const missing = await fetch(`${h.baseUrl}/v1/restores/${crypto.randomUUID()}/events`, { headers: { authorization: `Bearer ${team.viewer.token}` } })
  t.equal(missing.status, 404)
  t.match(await missing.json(), { code: 'not_found' })
})

t.test('a status that lasted less than one read (claimed and finished in one commit) is still sent, in order', async (t) => {
  const started = await h.client(team.operator.token).POST('/v1/backups/{id}/restores', { params: { path: { id: seeded.backupId } }, body: {} })
  const id = started.data?.id ?? ''
  const stream = events(id)
  const statuses: string[] = []
  const first = await stream.next()
  statuses.push(restoreSchema.parse(first.value).status)
  // Both transitions commit together: their notifications arrive at once and one read sees `failed`.
  await sql.begin(async (tx) => {
    await tx`UPDATE restores SET status = 'in_progress', started_at = now() WHERE id = ${id}`
    await tx`UPDATE restores SET status = 'failed', completed_at = now(), error_code = 'artifact_missing', error_message = 'gone' WHERE id = ${id}`
  })
  for await (const event of stream) {
    const restore = restoreSchema.parse(event)
    statuses.push(restore.status)
    if (restore.status === 'in_progress') t.same([restore.completedAt, restore.error], [null, null], 'the skipped state is sent as it was')
  }
  t.same(statuses, ['pending', 'in_progress', 'failed'])
})
