// Benchmark 1 (and the 1 GiB half of 3): a ~1 GiB incompressible pg_custom dump restored through
// the whole system (API accept → `completed`: pickup, stream, sha256, pg_restore into a staging
// database, swap) against bare pg_restore of the same local file into a fresh database. The
// artifact is read from the S3 destination (s3rver) as asked, and also from a `local` destination,
// which separates the runner's own cost from the S3 emulator's on the same two cores. Each system
// run gets a fresh runner (PG_RESTORE_JOBS=1 streams; 2 spools to a file for pg_restore -j2), and
// the runner's VmHWM of the streaming S3 run is the 1 GiB figure of benchmark 3. Three interleaved
// rounds; the table shows medians, latest.json every sample.
import { linkSync } from 'node:fs'
import { join } from 'node:path'
import { sha256File } from '@devpilot/devenv/testing'
import { type RestoreRun, registerBackup, restoreAndWait } from '../lib/api.js'
import { barePgRestore, dropDatabase } from '../lib/bare-tools.js'
import type { BenchContext } from '../lib/context.js'
import { makeIncompressibleDump } from '../lib/make-dump.js'
import type { BenchResult, ResultRow } from '../lib/report.js'
import { uploadFile } from '../lib/s3-upload.js'
import { fmtMiB, fmtSeconds, median, timed } from '../lib/stats.js'
import { BUCKET } from '../lib/system.js'

export interface DatabaseRestoreResult extends BenchResult {
  artifactBytes: number
  runnerPeakRssKiB: number
}

export interface DumpBackup {
  file: string
  bytes: number
  s3BackupId: string
  /** The same dump registered in the `local` destination (hard-linked, no copy). */
  localBackupId: string
}

/** Makes a dump of about dumpMiB, puts it in both destinations and registers a completed backup in each. */
export async function prepareDumpBackup(ctx: BenchContext, name: string, dumpMiB: number): Promise<DumpBackup> {
  const { system, ws, log } = ctx
  const file = join(system.workDir, `${name}.dump`)
  const made = await timed(() => makeIncompressibleDump(system.cluster, { database: `${name}_source`, dumpMiB, tables: 4, outFile: file }))
  const bytes = made.result.bytes
  const key = `db/${name}.dump`
  const upload = await timed(() => uploadFile(system.s3, BUCKET, key, file))
  const sha256 = await sha256File(file)
  linkSync(file, join(ws.localDestinationPath, `${name}.dump`))
  log(`${name}: ${fmtMiB(bytes)} dump made in ${fmtSeconds(made.ms)} (data + pg_dump -Z0), uploaded to s3rver in ${fmtSeconds(upload.ms)}`)
  const common = { format: 'pg_custom' as const, sizeBytes: bytes, sha256 }
  return {
    file,
    bytes,
    s3BackupId: await registerBackup(ws.api, { ...common, planId: ws.databasePlanId, artifactKey: key }),
    localBackupId: await registerBackup(ws.api, { ...common, planId: ws.localDatabasePlanId, artifactKey: `${name}.dump` }),
  }
}

const REPEATS = 3

interface Measured {
  run: RestoreRun
  peakKiB: number
}

const summary = (run: RestoreRun) => ({ wallMs: run.wallMs, acceptedToDoneMs: run.acceptedToDoneMs, pickupMs: run.pickupMs, restoreId: run.id })

function ratioRow(metric: string, system: number, bareLabel: string, bare: number, target: string, limit: number, strict = false): ResultRow {
  const ratio = system / bare
  return { metric, system: fmtSeconds(system), bare: `${bareLabel} ${fmtSeconds(bare)}`, ratio, target, met: strict ? ratio < limit : ratio <= limit }
}

export async function benchDatabaseRestore(ctx: BenchContext): Promise<DatabaseRestoreResult> {
  const { system, ws, log } = ctx
  const { cluster } = system
  const dump = await prepareDumpBackup(ctx, 'bench_1g', 1024)

  /** Restores through a fresh runner into a new database, then drops it. */
  const viaSystem = async (label: string, backupId: string, jobs: number): Promise<Measured> => {
    const runner = await system.restartRunner({ PG_RESTORE_JOBS: String(jobs) })
    const database = `sys_${label}_j${jobs}`
    const run = await restoreAndWait(ws.api, backupId, { targetDatabase: database })
    const peakKiB = runner.peakRssKiB()
    await dropDatabase(cluster, database)
    log(`database: system from ${label}, PG_RESTORE_JOBS=${jobs}: ${fmtSeconds(run.wallMs)} (runner peak RSS ${(peakKiB / 1024).toFixed(0)} MiB)`)
    return { run, peakKiB }
  }
  const bare = async (jobs: number) => {
    const ms = await barePgRestore(cluster, dump.file, `bare_j${jobs}`, jobs)
    await dropDatabase(cluster, `bare_j${jobs}`)
    log(`database: bare pg_restore${jobs > 1 ? ` --jobs=${jobs}` : ''}: ${fmtSeconds(ms)}`)
    return ms
  }

  // Interleaved repetitions, so bare and system see the same background load; medians are reported.
  const samples = {
    bare1: [] as number[],
    bare2: [] as number[],
    s3j1: [] as Measured[],
    local1: [] as Measured[],
    s3j2: [] as Measured[],
    local2: [] as Measured[],
  }
  for (let rep = 1; rep <= REPEATS; rep++) {
    log(`database: round ${rep}/${REPEATS}`)
    samples.bare1.push(await bare(1))
    samples.s3j1.push(await viaSystem('s3', dump.s3BackupId, 1))
    samples.local1.push(await viaSystem('local', dump.localBackupId, 1))
    samples.bare2.push(await bare(2))
    samples.s3j2.push(await viaSystem('s3', dump.s3BackupId, 2))
    samples.local2.push(await viaSystem('local', dump.localBackupId, 2))
  }
  const wall = (runs: Measured[]) => median(runs.map((m) => m.run.wallMs))
  const bare1 = median(samples.bare1)
  const bare2 = median(samples.bare2)
  const s3j1 = wall(samples.s3j1)
  const local1 = wall(samples.local1)
  const s3j2 = wall(samples.s3j2)
  const local2 = wall(samples.local2)
  const peakRss = Math.max(...samples.s3j1.map((m) => m.peakKiB))
  const all = (runs: Measured[]) => runs.map((m) => ({ ...summary(m.run), peakRssKiB: m.peakKiB }))

  const size = fmtMiB(dump.bytes)
  return {
    artifactBytes: dump.bytes,
    runnerPeakRssKiB: peakRss,
    rows: [
      ratioRow(`pg_custom ${size} from S3, PG_RESTORE_JOBS=1`, s3j1, 'pg_restore', bare1, '≤ 1.05', 1.05),
      ratioRow(`pg_custom ${size} from local, PG_RESTORE_JOBS=1`, local1, 'pg_restore', bare1, '≤ 1.05', 1.05),
      ratioRow(`pg_custom ${size} from S3, PG_RESTORE_JOBS=2`, s3j2, 'pg_restore', bare1, '< 1.0', 1, true),
      ratioRow(`pg_custom ${size} from local, PG_RESTORE_JOBS=2`, local2, 'pg_restore', bare1, '< 1.0', 1, true),
      ratioRow(`pg_custom ${size} from local, PG_RESTORE_JOBS=2`, local2, 'pg_restore -j2', bare2, '≤ 1.05', 1.05),
    ],
    details: {
      artifactBytes: dump.bytes,
      repeats: REPEATS,
      medianMs: { bareJobs1: bare1, bareJobs2: bare2, s3Jobs1: s3j1, localJobs1: local1, s3Jobs2: s3j2, localJobs2: local2 },
      samples: {
        bareJobs1Ms: samples.bare1,
        bareJobs2Ms: samples.bare2,
        s3Jobs1: all(samples.s3j1),
        localJobs1: all(samples.local1),
        s3Jobs2: all(samples.s3j2),
        localJobs2: all(samples.local2),
      },
    },
  }
}
