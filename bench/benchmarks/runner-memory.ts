// Benchmark 3: the runner's peak RSS (VmHWM of the node process running services/runner/src/
// main.ts) while it restores a pg_custom dump from S3, for a ~256 MiB dump here against the ~1 GiB
// figure from benchmark 1. Each figure comes from a freshly started runner that ran that one
// restore (streaming, PG_RESTORE_JOBS=1), so it is per run; flat means the ratio stays near 1.
import { restoreAndWait } from '../lib/api.js'
import { dropDatabase } from '../lib/bare-tools.js'
import type { BenchContext } from '../lib/context.js'
import type { BenchResult } from '../lib/report.js'
import { fmtMiB, fmtSeconds } from '../lib/stats.js'
import { prepareDumpBackup } from './database-restore.js'

export async function benchRunnerMemory(ctx: BenchContext, large: { artifactBytes: number; runnerPeakRssKiB: number }): Promise<BenchResult> {
  const { system, ws, log } = ctx
  log('memory: ~256 MiB dump through a fresh runner')
  const { s3BackupId: backupId, bytes } = await prepareDumpBackup(ctx, 'bench_256m', 256)
  const runner = await system.restartRunner({ PG_RESTORE_JOBS: '1' }, ctx.options.variants[0])
  const run = await restoreAndWait(ws.api, backupId, { targetDatabase: 'sys_256m' })
  const smallKiB = runner.peakRssKiB()
  await dropDatabase(system.cluster, 'sys_256m')
  log(`memory: ${fmtMiB(bytes)} restored in ${fmtSeconds(run.wallMs)}, runner peak RSS ${(smallKiB / 1024).toFixed(0)} MiB`)
  const ratio = large.runnerPeakRssKiB / smallKiB
  return {
    rows: [
      {
        metric: `runner peak RSS, ${fmtMiB(large.artifactBytes)} vs ${fmtMiB(bytes)} dump`,
        system: `${(large.runnerPeakRssKiB / 1024).toFixed(0)} MiB`,
        bare: `${(smallKiB / 1024).toFixed(0)} MiB (${fmtMiB(bytes)} dump)`,
        ratio,
        target: '≤ 1.10 (flat)',
        met: ratio <= 1.1,
      },
    ],
    details: {
      small: { artifactBytes: bytes, peakRssKiB: smallKiB, wallMs: run.wallMs },
      large: { artifactBytes: large.artifactBytes, peakRssKiB: large.runnerPeakRssKiB },
    },
  }
}
