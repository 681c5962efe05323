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
import { barePgRestore, bareS3PgRestore, dropDatabase } from '../lib/bare-tools.js'
import type { BenchContext, RunnerVariant } from '../lib/context.js'
import { loadAverage } from '../lib/machine.js'
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
  /** Its object key in the bench bucket. */
  s3Key: string
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
    s3Key: key,
  }
}

interface Measured {
  run: RestoreRun
  peakKiB: number
  /** 1-minute load average just before this sample. */
  load: number
  /** CPU time the runner process used for this restore (accept → completed seen), in ms. */
  runnerCpuMs: number
}

const summary = (m: Measured) => ({
  wallMs: m.run.wallMs,
  acceptedToDoneMs: m.run.acceptedToDoneMs,
  pickupMs: m.run.pickupMs,
  restoreId: m.run.id,
  peakRssKiB: m.peakKiB,
  load: m.load,
  runnerCpuMs: m.runnerCpuMs,
})

function ratioRow(metric: string, system: number, bareLabel: string, bare: number, target: string, limit: number, strict = false): ResultRow {
  const ratio = system / bare
  const met = target === 'report' ? null : strict ? ratio < limit : ratio <= limit
  return { metric, system: fmtSeconds(system), bare: `${bareLabel} ${fmtSeconds(bare)}`, ratio, target, met }
}

type Source = 's3' | 'local'

export async function benchDatabaseRestore(ctx: BenchContext): Promise<DatabaseRestoreResult> {
  const { system, ws, log, options } = ctx
  const { cluster } = system
  const dump = await prepareDumpBackup(ctx, 'bench_1g', 1024)

  /** Restores through a fresh runner into a new database, then drops it. */
  const viaSystem = async (variant: RunnerVariant, source: Source, jobs: number): Promise<Measured> => {
    const runner = await system.restartRunner({ PG_RESTORE_JOBS: String(jobs) }, variant)
    const load = loadAverage()
    const database = `sys_${source}_j${jobs}`
    const cpuBefore = runner.cpuMs()
    const run = await restoreAndWait(ws.api, source === 's3' ? dump.s3BackupId : dump.localBackupId, { targetDatabase: database })
    const runnerCpuMs = runner.cpuMs() - cpuBefore
    const peakKiB = runner.peakRssKiB()
    await dropDatabase(cluster, database)
    const what = `${variant.label ? `${variant.label}, ` : ''}from ${source}, PG_RESTORE_JOBS=${jobs}`
    log(
      `database: system ${what}: ${fmtSeconds(run.wallMs)} (runner CPU ${fmtSeconds(runnerCpuMs)}, peak RSS ${(peakKiB / 1024).toFixed(0)} MiB, load ${load})`,
    )
    return { run, peakKiB, load, runnerCpuMs }
  }
  const bare = async (jobs: number) => {
    const load = loadAverage()
    const ms = await barePgRestore(cluster, dump.file, `bare_j${jobs}`, jobs)
    await dropDatabase(cluster, `bare_j${jobs}`)
    log(`database: bare pg_restore${jobs > 1 ? ` --jobs=${jobs}` : ''}: ${fmtSeconds(ms)} (load ${load})`)
    return { ms, load }
  }

  const bareS3 = async () => {
    const load = loadAverage()
    const ms = await bareS3PgRestore(cluster, system.s3, BUCKET, dump.s3Key, 'bare_s3')
    await dropDatabase(cluster, 'bare_s3')
    log(`database: bare SDK GetObject | pg_restore from s3rver: ${fmtSeconds(ms)} (load ${load})`)
    return { ms, load }
  }

  // Interleaved repetitions, so bare and system (and every runner variant) see the same background
  // load; medians are reported. The variants' order rotates from round to round, so none is always
  // measured last (the load of a shared machine drifts within a round).
  const bareS3Samples: Array<{ ms: number; load: number }> = []
  const bareSamples = new Map<number, Array<{ ms: number; load: number }>>()
  const systemSamples = new Map<string, Measured[]>()
  const key = (variant: number, source: Source, jobs: number) => `${variant}:${source}:${jobs}`
  const push = <T>(map: Map<string, T[]> | Map<number, T[]>, k: never, value: T) => {
    const list = (map as Map<unknown, T[]>).get(k) ?? []
    list.push(value)
    ;(map as Map<unknown, T[]>).set(k, list)
  }
  for (let rep = 1; rep <= options.repeats; rep++) {
    log(`database: round ${rep}/${options.repeats}`)
    const order = options.variants.map((_, i) => (i + rep - 1) % options.variants.length)
    for (const jobs of options.jobs) {
      push(bareSamples, jobs as never, await bare(jobs))
      if (jobs === 1) bareS3Samples.push(await bareS3())
      for (const source of ['s3', 'local'] as const) {
        for (const i of order) {
          const variant = options.variants[i]
          if (variant) push(systemSamples, key(i, source, jobs) as never, await viaSystem(variant, source, jobs))
        }
      }
    }
  }
  const bareMedian = (jobs: number) => median((bareSamples.get(jobs) ?? []).map((b) => b.ms))
  const wall = (k: string) => median((systemSamples.get(k) ?? []).map((m) => m.run.wallMs))
  const bare1 = bareSamples.has(1) ? bareMedian(1) : Number.NaN
  const bare2 = bareSamples.has(2) ? bareMedian(2) : Number.NaN
  const bareS3Ms = bareS3Samples.length > 0 ? median(bareS3Samples.map((b) => b.ms)) : Number.NaN
  const s3j1Runs = systemSamples.get(key(0, 's3', 1)) ?? []
  const peakRss = s3j1Runs.length > 0 ? Math.max(...s3j1Runs.map((m) => m.peakKiB)) : Number.NaN

  const size = fmtMiB(dump.bytes)
  const rows: ResultRow[] = []
  const medianMs: Record<string, number> = { bareJobs1: bare1, bareJobs2: bare2, bareS3Jobs1: bareS3Ms }
  const samples: Record<string, unknown> = {
    bareS3Jobs1: bareS3Samples,
    bareJobs1: bareSamples.get(1) ?? [],
    bareJobs2: bareSamples.get(2) ?? [],
  }
  for (const [i, variant] of options.variants.entries()) {
    const suffix = variant.label ? ` [${variant.label}]` : ''
    for (const jobs of options.jobs) {
      for (const source of ['s3', 'local'] as const) {
        const k = key(i, source, jobs)
        const ms = wall(k)
        const name = `${source}Jobs${jobs}${suffix}`
        medianMs[name] = ms
        medianMs[`${name} runnerCpu`] = median((systemSamples.get(k) ?? []).map((m) => m.runnerCpuMs))
        samples[name] = (systemSamples.get(k) ?? []).map(summary)
        const metric = `pg_custom ${size} from ${source === 's3' ? 'S3' : 'local'}, PG_RESTORE_JOBS=${jobs}${suffix}`
        if (jobs === 1 && source === 's3') {
          rows.push(ratioRow(metric, ms, 'GetObject | pg_restore', bareS3Ms, '≤ 1.05', 1.05))
          rows.push(ratioRow(metric, ms, 'pg_restore (file)', bare1, 'report', 0))
        } else if (jobs === 1) rows.push(ratioRow(metric, ms, 'pg_restore', bare1, '≤ 1.03', 1.03))
        else {
          rows.push(ratioRow(metric, ms, 'pg_restore', bare1, '< 1.0', 1, true))
          if (source === 'local') rows.push(ratioRow(metric, ms, `pg_restore -j${jobs}`, bare2, '≤ 1.05', 1.05))
        }
      }
    }
  }
  return {
    artifactBytes: dump.bytes,
    runnerPeakRssKiB: peakRss,
    rows,
    details: { artifactBytes: dump.bytes, repeats: options.repeats, variants: options.variants.map((v) => v.label || 'default'), medianMs, samples },
  }
}
