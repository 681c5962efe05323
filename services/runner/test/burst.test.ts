// A burst larger than the runner's concurrency drains back to back. pg-boss 12 workers with
// LISTEN/NOTIFY otherwise sleep their notify backstop (30 s) after every job unless a NOTIFY
// arrives, so a backlog drained `concurrency` restores per 30 s (issues 15 and 16). The sweeper
// (lost-after 60 s here) and the busy-target retry timer (30 s here) are both far slower than the
// bound below, so finishing inside it proves the restores were started by wake-ups alone.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { atFaultScale, makeTar, scratchDir, waitFor } from '@devpilot/devenv/testing'
import t from 'tap'
import { createHarness } from './harness.js'

const h = await createHarness(t)
const destination = await h.localDestination()
const source = join(scratchDir(t, 'small'), 'src')
mkdirSync(source)
writeFileSync(join(source, 'a.txt'), 'small restore\n')
await makeTar(source, 'tar_gz', join(destination.path, 'small.tar.gz'))
const planId = await h.filesPlan({ sourcePath: source, destinationId: destination.id })
const backupId = await h.backup({ planId, format: 'tar_gz', artifactKey: 'small.tar.gz', file: join(destination.path, 'small.tar.gz') })

// CI: 16 restores, 4 of them onto one shared target; `pnpm faults`: 200, 40 of them shared.
const { fresh, onShared } = atFaultScale({ ci: { fresh: 12, onShared: 4 }, full: { fresh: 160, onShared: 40 } })

t.test(`a burst of ${fresh + onShared} restores on concurrency 2 runs back to back, without waiting for the sweeper or a retry timer`, async (t) => {
  const concurrency = 2
  await h.startRunner({ RUNNER_CONCURRENCY: String(concurrency), RUNNER_LOST_AFTER_SECONDS: '60', RUNNER_TARGET_BUSY_RETRY_SECONDS: '30' })
  const shared = join(h.filesRoot, 'burst-shared')
  const ids = await Promise.all([
    ...Array.from({ length: fresh }, (_, i) => h.restore({ backupId, planId, targetPath: join(h.filesRoot, `burst-${i}`) })),
    ...Array.from({ length: onShared }, () => h.restore({ backupId, planId, targetPath: shared, overwrite: true })),
  ])
  const rows = await waitFor(
    () =>
      h.db.sql<{ status: string; created: number; started: number | null; completed: number | null }[]>`
        SELECT status, extract(epoch FROM created_at) * 1000 AS created, extract(epoch FROM started_at) * 1000 AS started,
          extract(epoch FROM completed_at) * 1000 AS completed
        FROM restores WHERE id = ANY(${ids})`,
    (rs) => rs.every((r) => r.status === 'completed' || r.status === 'failed'),
    { timeoutMs: atFaultScale({ ci: 100_000, full: 1_200_000 }), what: 'the burst to drain' },
  )
  t.equal(rows.filter((r) => r.status === 'completed').length, ids.length, 'every restore of the burst completed')
  const work = rows.reduce((sum, r) => sum + Number(r.completed) - Number(r.started), 0)
  const makespan = Math.max(...rows.map((r) => Number(r.completed))) - Math.min(...rows.map((r) => Number(r.created)))
  const bound = work / concurrency + 10_000
  t.ok(
    makespan < bound,
    `makespan ${(makespan / 1000).toFixed(1)} s is under the work divided by the concurrency plus 10 s (${(bound / 1000).toFixed(1)} s; the stall took 30 s per wave)`,
  )
})
