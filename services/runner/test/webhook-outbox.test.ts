// The webhook outbox in the runner, in process: the trigger writes one message per event and
// subscribed webhook in the transaction of the status change (dry runs none, drills only their
// own events, a pending restore failed without a runner restore.failed), the relay dispatches each
// exactly once with the restore as it was at the event, and delivery records every attempt.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { createWebhook, restoreFromSnapshot } from '@devpilot/db'
import { buildTree, makeTar, scratchDir, waitFor } from '@devpilot/devenv/testing'
import t from 'tap'
import { createHarness } from './harness.js'

// Real restores plus real deliveries: on a loaded machine more than the default per-file limit.
t.setTimeout(300_000)
const h = await createHarness(t)
const received: Array<{ id: string; body: string }> = []
const server = createServer((req, res) => {
  let body = ''
  req.on('data', (c) => {
    body += c
  })
  req.on('end', () => {
    received.push({ id: String(req.headers['webhook-id']), body })
    res.writeHead(204).end()
  })
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
const receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`

const destination = await h.localDestination()
const tree = join(scratchDir(t, 'outbox-tree'), 'www')
const { mkdirSync } = await import('node:fs')
mkdirSync(tree)
buildTree(tree)
await makeTar(tree, 'tar', join(destination.path, 'www.tar'))
const planId = await h.filesPlan({ sourcePath: tree, destinationId: destination.id })
const backupId = await h.backup({ planId, format: 'tar', artifactKey: 'www.tar', file: join(destination.path, 'www.tar') })

const hook = await createWebhook(h.db.db, h.box, {
  workspaceId: h.ws.workspaceId,
  input: { url: receiverUrl, events: ['restore.started', 'restore.completed', 'restore.failed', 'drill.completed', 'drill.failed'], enabled: true },
  secret: `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
})

async function messages(restoreId: string) {
  return h.db.sql<{ id: string; event: string; dispatched: boolean; body: string | null }[]>`
    SELECT id, event, dispatched_at IS NOT NULL AS dispatched, body FROM webhook_messages WHERE restore_id = ${restoreId} ORDER BY occurred_at, id`
}

t.test('the trigger writes started and completed; the relay dispatches both; the receiver gets both', async (t) => {
  await h.startRunner({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_RETRY_DELAY_SECONDS: '1' })
  const restoreId = await h.restore({ backupId, planId, targetPath: join(h.filesRoot, 'one') })
  t.equal((await h.waitTerminal(restoreId)).status, 'completed')
  const rows = await waitFor(
    () => messages(restoreId),
    (r) => r.length === 2 && r.every((m) => m.dispatched),
    { timeoutMs: 30_000, what: 'both messages dispatched' },
  )
  t.same(
    rows.map((m) => m.event),
    ['restore.started', 'restore.completed'],
  )
  await waitFor(
    () => received.filter((r) => rows.some((m) => m.id === r.id)).length,
    (n) => n === 2,
    { timeoutMs: 30_000, what: 'both deliveries' },
  )
  const started = JSON.parse(rows[0]?.body ?? '{}') as { data: { restore: { status: string; completedAt: string | null } } }
  t.match(started.data.restore, { status: 'in_progress', completedAt: null }, 'the started body shows the restore at its start')
  // The receiver answers before the runner writes the attempt down: wait for the log.
  const delivered = await waitFor(
    async () =>
      (await h.db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM webhook_deliveries WHERE restore_id = ${restoreId} AND delivered_at IS NOT NULL`)[0]?.n,
    (n) => n === 2,
    { timeoutMs: 30_000, what: 'two delivered attempts in the log' },
  )
  t.equal(delivered, 2, 'two delivered attempts in the log')
})

t.test('a pending restore failed without any runner writes restore.failed; dry runs write nothing', async (t) => {
  const [row] = await h.db.sql<{ id: string }[]>`
    INSERT INTO restores (workspace_id, backup_id, plan_id, target_path, overwrite, triggered_by_user_id)
    VALUES (${h.ws.workspaceId}, ${backupId}, ${planId}, ${join(h.filesRoot, 'never')}, false, ${h.ws.userId}) RETURNING id`
  const id = row?.id ?? ''
  // As a cancel of a pending restore would: straight from pending to failed, in the API's process.
  await h.db
    .sql`UPDATE restores SET status = 'failed', error_code = 'cancelled', error_message = 'cancelled', completed_at = now(), started_at = now() WHERE id = ${id}`
  const rows = await messages(id)
  t.same(
    rows.map((m) => m.event),
    ['restore.failed'],
  )
  const [dry] = await h.db.sql<{ id: string }[]>`
    INSERT INTO restores (workspace_id, backup_id, plan_id, target_path, overwrite, triggered_by_user_id, dry_run)
    VALUES (${h.ws.workspaceId}, ${backupId}, ${planId}, ${join(h.filesRoot, 'dry')}, false, ${h.ws.userId}, true) RETURNING id`
  await h.db.sql`UPDATE restores SET status = 'in_progress', started_at = now() WHERE id = ${dry?.id ?? ''}`
  await h.db.sql`UPDATE restores SET status = 'completed', completed_at = now() WHERE id = ${dry?.id ?? ''}`
  t.same(await messages(dry?.id ?? ''), [], 'a dry run sends nothing')
})

t.test('drills send only drill.completed / drill.failed, never a started event', async (t) => {
  const [row] = await h.db.sql<{ id: string }[]>`
    INSERT INTO restores (workspace_id, backup_id, plan_id, target_path, overwrite, triggered_by_user_id, drill)
    VALUES (${h.ws.workspaceId}, ${backupId}, ${planId}, ${join(h.filesRoot, 'drill')}, false, ${h.ws.userId}, true) RETURNING id`
  const id = row?.id ?? ''
  await h.db.sql`UPDATE restores SET status = 'in_progress', started_at = now() WHERE id = ${id}`
  await h.db.sql`UPDATE restores SET status = 'completed', completed_at = now() WHERE id = ${id}`
  t.same(
    (await messages(id)).map((m) => m.event),
    ['drill.completed'],
  )
})

t.test('a webhook not subscribed to an event, disabled or deleted gets no message', async (t) => {
  const other = await createWebhook(h.db.db, h.box, {
    workspaceId: h.ws.workspaceId,
    input: { url: receiverUrl, events: ['restore.failed'], enabled: true },
    secret: `whsec_${Buffer.alloc(32, 8).toString('base64')}`,
  })
  await h.db.sql`UPDATE webhooks SET enabled = false WHERE id = ${hook.id}`
  t.teardown(() => h.db.sql`UPDATE webhooks SET enabled = true WHERE id = ${hook.id}`)
  const [row] = await h.db.sql<{ id: string }[]>`
    INSERT INTO restores (workspace_id, backup_id, plan_id, target_path, overwrite, triggered_by_user_id)
    VALUES (${h.ws.workspaceId}, ${backupId}, ${planId}, ${join(h.filesRoot, 'nobody')}, false, ${h.ws.userId}) RETURNING id`
  const id = row?.id ?? ''
  await h.db.sql`UPDATE restores SET status = 'in_progress', started_at = now() WHERE id = ${id}`
  await h.db.sql`UPDATE restores SET status = 'failed', completed_at = now(), error_code = 'internal_error', error_message = 'x' WHERE id = ${id}`
  const rows = await h.db.sql<{ webhook_id: string; event: string }[]>`SELECT webhook_id, event FROM webhook_messages WHERE restore_id = ${id}`
  t.same(rows, [{ webhook_id: other.id, event: 'restore.failed' }], 'only the enabled webhook subscribed to restore.failed')
  const snapshotRestore = await restoreFromSnapshot(
    h.db.db,
    (await h.db.sql<{ s: unknown }[]>`SELECT restore_snapshot AS s FROM webhook_messages WHERE restore_id = ${id}`)[0]?.s,
  )
  t.match(snapshotRestore, { id, status: 'failed', error: { code: 'internal_error', message: 'x' } }, 'the snapshot reads as the API record')
})
