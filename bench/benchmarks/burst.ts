// Benchmark 7: a burst of small restores, all submitted at once, on two runner processes of
// concurrency 2: 50 restores of a small pg_custom dump into distinct new databases plus 10 onto one
// shared database with overwrite. Reports the makespan (first accept to last completion) against
// the ideal, the sum of the restores' own run times divided by the total concurrency, and on the
// shared target the gap between one restore finishing and the next one starting (a wake-up, not a
// retry timer). Before the fix a backlog larger than the concurrency drained one wave per 30 s.
import { join } from 'node:path'
import { fileSize, pgDump, psql, sha256File } from '@devpilot/devenv/testing'
import { must, registerBackup } from '../lib/api.js'
import type { BenchContext } from '../lib/context.js'
import type { BenchResult } from '../lib/report.js'
import { uploadFile } from '../lib/s3-upload.js'
import { fmtMs, isoMicros, percentile } from '../lib/stats.js'
import { BUCKET } from '../lib/system.js'

const DISTINCT = 50
const SHARED = 10
const RUNNERS = 2
const CONCURRENCY = 2

export async function benchBurst(ctx: BenchContext): Promise<BenchResult> {
  const { system, ws, log } = ctx
  await psql(system.cluster.url(), 'DROP DATABASE IF EXISTS burst_source')
  await psql(system.cluster.url(), 'CREATE DATABASE burst_source')
  await psql(
    system.cluster.url('burst_source'),
    'CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT i, md5(i::text) FROM generate_series(1, 500) i;',
  )
  const dump = join(system.workDir, 'burst.dump')
  await pgDump(system.cluster.url('burst_source'), 'pg_custom', dump)
  await uploadFile(system.s3, BUCKET, 'burst/burst.dump', dump)
  const backupId = await registerBackup(ws.api, {
    planId: ws.databasePlanId,
    format: 'pg_custom',
    artifactKey: 'burst/burst.dump',
    sizeBytes: fileSize(dump),
    sha256: await sha256File(dump),
  })

  await system.restartRunner({ RUNNER_CONCURRENCY: String(CONCURRENCY), RUNNER_ID: 'burst-1' })
  const second = await system.addRunner({ RUNNER_CONCURRENCY: String(CONCURRENCY), RUNNER_ID: 'burst-2' })
  try {
    log(`burst: ${DISTINCT} restores into new databases + ${SHARED} onto one shared database, ${RUNNERS} runners × concurrency ${CONCURRENCY}`)
    // The shared target's restores are spread through the burst, as independent callers would send them.
    const every = Math.floor((DISTINCT + SHARED) / SHARED)
    const targets = Array.from({ length: DISTINCT + SHARED }, (_, i) =>
      i % every === 0 && Math.floor(i / every) < SHARED ? { targetDatabase: 'burst_shared', overwrite: true } : { targetDatabase: `burst_new_${i}` },
    )
    const accepted = await Promise.all(
      targets.map(async (body) => must(await ws.api.POST('/v1/backups/{id}/restores', { params: { path: { id: backupId } }, body }), 'start restore').id),
    )
    const deadline = Date.now() + 600_000
    let restores = await Promise.all(accepted.map(async (id) => must(await ws.api.GET('/v1/restores/{id}', { params: { path: { id } } }), 'get restore')))
    while (restores.some((r) => r.status === 'pending' || r.status === 'in_progress')) {
      if (Date.now() > deadline) throw new Error('burst did not drain within 10 minutes')
      await new Promise((resolve) => setTimeout(resolve, 200))
      restores = await Promise.all(accepted.map(async (id) => must(await ws.api.GET('/v1/restores/{id}', { params: { path: { id } } }), 'get restore')))
    }
    const failed = restores.filter((r) => r.status !== 'completed')
    if (failed.length > 0) throw new Error(`burst: ${failed.length} restores failed, e.g. ${failed[0]?.error?.code}: ${failed[0]?.error?.message}`)

    const us = (iso: string | null) => (iso === null ? Number.NaN : isoMicros(iso))
    const runMs = restores.map((r) => (us(r.completedAt) - us(r.startedAt)) / 1000)
    const work = runMs.reduce((a, b) => a + b, 0)
    const ideal = work / (RUNNERS * CONCURRENCY)
    const makespan = (Math.max(...restores.map((r) => us(r.completedAt))) - Math.min(...restores.map((r) => us(r.createdAt)))) / 1000
    const shared = restores.filter((r) => r.target.database === 'burst_shared').sort((a, b) => us(a.startedAt) - us(b.startedAt))
    const gaps = shared.slice(1).map((r, i) => (us(r.startedAt) - us(shared[i]?.completedAt ?? null)) / 1000)
    const gapP50 = percentile(gaps, 50)
    const gapMax = Math.max(...gaps)
    const ratio = makespan / ideal
    log(`burst: makespan ${fmtMs(makespan)}, ideal ${fmtMs(ideal)} (ratio ${ratio.toFixed(2)}); shared-target gap p50 ${fmtMs(gapP50)}, max ${fmtMs(gapMax)}`)
    return {
      rows: [
        {
          metric: `burst: ${DISTINCT + SHARED} small restores, ${RUNNERS} runners × ${CONCURRENCY}, makespan`,
          system: fmtMs(makespan),
          bare: `work / concurrency ${fmtMs(ideal)}`,
          ratio,
          target: '≤ 1.2',
          met: ratio <= 1.2,
        },
        { metric: 'burst: shared target, finish → next start (max)', system: fmtMs(gapMax), bare: '—', ratio: null, target: '≤ 100 ms', met: gapMax <= 100 },
      ],
      details: {
        distinct: DISTINCT,
        shared: SHARED,
        runners: RUNNERS,
        concurrency: CONCURRENCY,
        workMs: work,
        idealMs: ideal,
        makespanMs: makespan,
        sharedGapsMs: gaps,
        runMs,
      },
    }
  } finally {
    await second.stop()
    await system.restartRunner()
  }
}
