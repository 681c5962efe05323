// Benchmark 2: a tar_gz file backup of a few hundred MiB of mixed files (incompressible media,
// compressible logs, thousands of small sources) in the S3 destination, restored through the whole
// system (S3 → sha256 → gunzip → TarGuard → tar -x into staging → checks → rename) against bare
// `tar -xzf` of the same local archive into a fresh directory. Three interleaved rounds, medians.
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileSize, makeTar, sha256File } from '@devpilot/devenv/testing'
import { type RestoreRun, registerBackup, restoreAndWait } from '../lib/api.js'
import { bareS3TarExtract, bareTarExtract } from '../lib/bare-tools.js'
import type { BenchContext } from '../lib/context.js'
import { loadAverage } from '../lib/machine.js'
import { makeFileTree } from '../lib/make-file-tree.js'
import type { BenchResult } from '../lib/report.js'
import { uploadFile } from '../lib/s3-upload.js'
import { fmtMiB, fmtSeconds, median } from '../lib/stats.js'
import { BUCKET } from '../lib/system.js'

export async function benchFilesRestore(ctx: BenchContext): Promise<BenchResult> {
  const { system, ws, log, options } = ctx
  const source = join(system.workDir, 'tree')
  const archive = join(system.workDir, 'tree.tar.gz')
  log('files: writing a mixed file tree and tar -czf')
  const treeBytes = await makeFileTree(source)
  await makeTar(source, 'tar_gz', archive)
  rmSync(source, { recursive: true, force: true })
  const bytes = fileSize(archive)
  const key = 'files/tree.tar.gz'
  await uploadFile(system.s3, BUCKET, key, archive)
  const backupId = await registerBackup(ws.api, {
    planId: ws.filesPlanId,
    format: 'tar_gz',
    artifactKey: key,
    sizeBytes: bytes,
    sha256: await sha256File(archive),
  })
  log(`files: archive ${fmtMiB(bytes)} (${fmtMiB(treeBytes)} extracted)`)

  // Interleaved repetitions, so bare and system (every runner variant) see the same background
  // load; medians are reported.
  const bareDir = join(system.workDir, 'bare-tar')
  const target = join(system.filesRoot, 'restored-tree')
  const bareSamples: Array<{ ms: number; load: number }> = []
  const bareS3Samples: Array<{ ms: number; load: number }> = []
  const runs = options.variants.map(() => [] as Array<{ run: RestoreRun; load: number; runnerCpuMs: number }>)
  for (let rep = 1; rep <= options.repeats; rep++) {
    const bareLoad = loadAverage()
    bareSamples.push({ ms: await bareTarExtract(archive, bareDir), load: bareLoad })
    rmSync(bareDir, { recursive: true, force: true })
    log(`files: round ${rep}/${options.repeats}: bare tar -xzf ${fmtSeconds(bareSamples.at(-1)?.ms ?? 0)} (load ${bareLoad})`)
    const s3Load = loadAverage()
    bareS3Samples.push({ ms: await bareS3TarExtract(system.s3, BUCKET, key, bareDir), load: s3Load })
    rmSync(bareDir, { recursive: true, force: true })
    log(`files: round ${rep}/${options.repeats}: bare GetObject | tar -xzf ${fmtSeconds(bareS3Samples.at(-1)?.ms ?? 0)} (load ${s3Load})`)
    for (const i of options.variants.map((_, n) => (n + rep - 1) % options.variants.length)) {
      const variant = options.variants[i]
      if (!variant) continue
      const runner = await system.restartRunner({}, variant)
      const load = loadAverage()
      const cpuBefore = runner.cpuMs()
      const run = await restoreAndWait(ws.api, backupId, { targetPath: target })
      const runnerCpuMs = runner.cpuMs() - cpuBefore
      runs[i]?.push({ run, load, runnerCpuMs })
      rmSync(target, { recursive: true, force: true })
      log(
        `files: round ${rep}/${options.repeats}: system${variant.label ? ` [${variant.label}]` : ''} ${fmtSeconds(run.wallMs)} (runner CPU ${fmtSeconds(runnerCpuMs)}, load ${load})`,
      )
    }
  }
  const bareMs = median(bareSamples.map((b) => b.ms))
  const bareS3Ms = median(bareS3Samples.map((b) => b.ms))
  const medians = runs.map((list) => median(list.map((r) => r.run.wallMs)))
  const label = `tar_gz ${fmtMiB(bytes)} (${fmtMiB(treeBytes)} extracted) restore`
  return {
    rows: options.variants.flatMap((variant, i) => {
      const systemMs = medians[i] ?? Number.NaN
      const metric = `${label}${variant.label ? ` [${variant.label}]` : ''}`
      return [
        {
          metric,
          system: fmtSeconds(systemMs),
          bare: `GetObject | tar -xzf ${fmtSeconds(bareS3Ms)}`,
          ratio: systemMs / bareS3Ms,
          target: '≤ 1.15',
          met: systemMs / bareS3Ms <= 1.15,
        },
        { metric, system: fmtSeconds(systemMs), bare: `tar -xzf (file) ${fmtSeconds(bareMs)}`, ratio: systemMs / bareMs, target: 'report', met: null },
      ]
    }),
    details: {
      archiveBytes: bytes,
      treeBytes,
      repeats: options.repeats,
      variants: options.variants.map((v) => v.label || 'default'),
      medianMs: { bare: bareMs, bareS3: bareS3Ms, system: medians, runnerCpu: runs.map((list) => median(list.map((r) => r.runnerCpuMs))) },
      samples: {
        bare: bareSamples,
        bareS3: bareS3Samples,
        system: runs.map((list) =>
          list.map(({ run, load, runnerCpuMs }) => ({ wallMs: run.wallMs, acceptedToDoneMs: run.acceptedToDoneMs, pickupMs: run.pickupMs, load, runnerCpuMs })),
        ),
      },
    },
  }
}
