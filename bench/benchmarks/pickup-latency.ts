// Benchmark 4: pickup latency, accepted → `in_progress`, measured on the database's own clocks
// (the restore's createdAt and startedAt from the API), over sequential small file restores with
// an otherwise idle runner: each restore is followed to `completed` before the next is sent.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileSize, makeTar, sha256File } from '@devpilot/devenv/testing'
import { registerBackup, restoreAndWait } from '../lib/api.js'
import type { BenchContext } from '../lib/context.js'
import type { BenchResult } from '../lib/report.js'
import { uploadFile } from '../lib/s3-upload.js'
import { fmtMs, percentile } from '../lib/stats.js'
import { BUCKET } from '../lib/system.js'

const WARMUP = 3
const SAMPLES = 50

export async function benchPickupLatency(ctx: BenchContext): Promise<BenchResult> {
  const { system, ws, log } = ctx
  const source = join(system.workDir, 'small')
  mkdirSync(source, { recursive: true })
  for (let i = 0; i < 3; i++) writeFileSync(join(source, `note-${i}.txt`), `small restore ${i}\n`)
  const archive = join(system.workDir, 'small.tar.gz')
  await makeTar(source, 'tar_gz', archive)
  await uploadFile(system.s3, BUCKET, 'files/small.tar.gz', archive)
  const backupId = await registerBackup(ws.api, {
    planId: ws.filesPlanId,
    format: 'tar_gz',
    artifactKey: 'files/small.tar.gz',
    sizeBytes: fileSize(archive),
    sha256: await sha256File(archive),
  })

  const pickups: number[] = []
  const walls: number[] = []
  log(`pickup: ${WARMUP} warm-up + ${SAMPLES} sequential small restores`)
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    const run = await restoreAndWait(ws.api, backupId, { targetPath: join(system.filesRoot, 'pickup', `r${i}`) }, { pollMs: 10 })
    if (i < WARMUP) continue
    pickups.push(run.pickupMs)
    walls.push(run.acceptedToDoneMs)
  }
  rmSync(join(system.filesRoot, 'pickup'), { recursive: true, force: true })
  const p50 = percentile(pickups, 50)
  const p99 = percentile(pickups, 99)
  log(`pickup: p50 ${fmtMs(p50)}, p99 ${fmtMs(p99)}`)
  return {
    rows: [
      { metric: `pickup latency p50 (${SAMPLES} restores, idle runner)`, system: fmtMs(p50), bare: '—', ratio: null, target: '≤ 100 ms', met: p50 <= 100 },
      { metric: `pickup latency p99 (${SAMPLES} restores, idle runner)`, system: fmtMs(p99), bare: '—', ratio: null, target: '< 1000 ms', met: p99 < 1000 },
    ],
    details: {
      samples: SAMPLES,
      pickupMs: { p50, p90: percentile(pickups, 90), p99, max: Math.max(...pickups), all: pickups },
      smallRestoreAcceptedToDoneMs: { p50: percentile(walls, 50), p99: percentile(walls, 99) },
    },
  }
}
