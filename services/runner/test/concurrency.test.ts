// Scaling out is running more runners: two runner processes drain 20 queued restores over 5
// targets, each restore runs exactly once (one pending -> in_progress transition, attempt 1), and
// the restores of one target never overlap in time. An idle runner picks a new restore up well
// under a second after it is accepted (LISTEN/NOTIFY, not polling).
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { buildTree, makeTar, scratchDir, spawnService, waitFor } from '@devpilot/devenv/testing'
import t from 'tap'
import { createHarness } from './harness.js'

const h = await createHarness(t)
const destination = await h.localDestination()
const source = join(scratchDir(t, 'tree'), 'src')
mkdirSync(source)
buildTree(source)
await makeTar(source, 'tar_gz', join(destination.path, 'tree.tar.gz'))
const planId = await h.filesPlan({ sourcePath: source, destinationId: destination.id })
const backupId = await h.backup({ planId, format: 'tar_gz', artifactKey: 'tree.tar.gz', file: join(destination.path, 'tree.tar.gz') })

t.test('two runner processes drain 20 restores: each runs exactly once, never two at once on one target', async (t) => {
  const runners = ['runner-1', 'runner-2'].map((id) =>
    spawnService('runner', h.runnerEnv({ RUNNER_ID: id, RUNNER_CONCURRENCY: '3', RUNNER_LOST_AFTER_SECONDS: '10' })),
  )
  for (const r of runners) t.teardown(() => r.child.kill('SIGKILL'))
  await Promise.all(runners.map((r) => r.ready()))

  const targets = Array.from({ length: 5 }, (_, i) => join(h.filesRoot, `shared-${i}`))
  const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => h.restore({ backupId, planId, targetPath: targets[i % 5], overwrite: true })))
  const rows = await waitFor(
    () => h.db.sql<{ id: string; status: string; attempt: number; runner_id: string; target_path: string; started_at: Date; completed_at: Date }[]>`
      SELECT id, status, attempt, runner_id, target_path, started_at, completed_at FROM restores WHERE id = ANY(${ids})`,
    (rs) => rs.every((r) => r.status === 'completed' || r.status === 'failed'),
    { timeoutMs: 60_000, what: 'all 20 restores to finish' },
  )
  t.equal(rows.filter((r) => r.status === 'completed').length, 20, 'all 20 completed')
  t.ok(
    rows.every((r) => r.attempt === 1),
    'each ran in one attempt',
  )
  const claims = await h.db.sql<{ restore_id: string; n: number }[]>`
    SELECT restore_id, count(*)::int AS n FROM restore_transitions WHERE restore_id = ANY(${ids}) AND to_status = 'in_progress' GROUP BY restore_id`
  t.equal(claims.length, 20)
  t.ok(
    claims.every((c) => c.n === 1),
    'each restore was claimed exactly once',
  )
  // The audit trail is ordered by the database (identity column, written after the unique index
  // check), unlike started_at, which is the claiming transaction's start time.
  const events = await h.db.sql<{ target_path: string; to_status: string }[]>`
    SELECT r.target_path, tr.to_status FROM restore_transitions tr JOIN restores r ON r.id = tr.restore_id
    WHERE tr.restore_id = ANY(${ids}) AND tr.to_status <> 'pending' ORDER BY tr.id`
  for (const target of targets) {
    let active = 0
    let maxActive = 0
    for (const e of events.filter((e) => e.target_path === target)) {
      active += e.to_status === 'in_progress' ? 1 : -1
      maxActive = Math.max(maxActive, active)
    }
    t.equal(maxActive, 1, `the 4 restores of ${target} ran one after another`)
  }
  const byRunner = new Set(rows.map((r) => r.runner_id))
  t.same([...byRunner].sort(), ['runner-1', 'runner-2'], 'both runners took work')
})

t.test('an idle runner starts a new restore well under a second after it was accepted', async (t) => {
  await h.startRunner({ RUNNER_ID: 'in-process' })
  // Let the runner settle into idle (its first poll done) before measuring.
  await h.waitTerminal(await h.restore({ backupId, planId, targetPath: join(h.filesRoot, 'warmup') }))
  const latencies: number[] = []
  for (let i = 0; i < 3; i++) {
    const id = await h.restore({ backupId, planId, targetPath: join(h.filesRoot, `pickup-${i}`) })
    await h.waitTerminal(id)
    const [row] = await h.db.sql<{ ms: number }[]>`SELECT extract(epoch FROM started_at - created_at) * 1000 AS ms FROM restores WHERE id = ${id}`
    latencies.push(Number(row?.ms))
  }
  t.ok(
    latencies.every((ms) => ms < 500),
    `pickup latencies ${latencies.map((ms) => ms.toFixed(0)).join(', ')} ms are all under 500 ms`,
  )
})
