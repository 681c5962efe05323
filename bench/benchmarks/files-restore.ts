// Benchmark 2: a tar_gz file backup of a few hundred MiB of mixed files (incompressible media,
// compressible logs, thousands of small sources) in the S3 destination, restored through the whole
// system (S3 → sha256 → gunzip → TarGuard → tar -x into staging → checks → rename) against bare
// `tar -xzf` of the same local archive into a fresh directory. Three interleaved rounds, medians.
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileSize, makeTar, sha256File } from '@devpilot/devenv/testing'
import { type RestoreRun, registerBackup, restoreAndWait } from '../lib/api.js'
import { bareTarExtract } from '../lib/bare-tools.js'
import type { BenchContext } from '../lib/context.js'
import { makeFileTree } from '../lib/make-file-tree.js'
import type { BenchResult } from '../lib/report.js'
import { uploadFile } from '../lib/s3-upload.js'
import { fmtMiB, fmtSeconds, median } from '../lib/stats.js'
import { BUCKET } from '../lib/system.js'

const REPEATS = 3

export async function benchFilesRestore(ctx: BenchContext): Promise<BenchResult> {
  const { system, ws, log } = ctx
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

  // Interleaved repetitions, so bare and system see the same background load; medians are reported.
  const bareDir = join(system.workDir, 'bare-tar')
  const target = join(system.filesRoot, 'restored-tree')
  const bareSamples: number[] = []
  const runs: RestoreRun[] = []
  for (let rep = 1; rep <= REPEATS; rep++) {
    bareSamples.push(await bareTarExtract(archive, bareDir))
    rmSync(bareDir, { recursive: true, force: true })
    runs.push(await restoreAndWait(ws.api, backupId, { targetPath: target }))
    rmSync(target, { recursive: true, force: true })
    log(`files: round ${rep}/${REPEATS}: bare tar -xzf ${fmtSeconds(bareSamples.at(-1) ?? 0)}, system ${fmtSeconds(runs.at(-1)?.wallMs ?? 0)}`)
  }
  const bareMs = median(bareSamples)
  const systemMs = median(runs.map((r) => r.wallMs))
  const ratio = systemMs / bareMs
  return {
    rows: [
      {
        metric: `tar_gz ${fmtMiB(bytes)} (${fmtMiB(treeBytes)} extracted) restore`,
        system: fmtSeconds(systemMs),
        bare: `tar -xzf ${fmtSeconds(bareMs)}`,
        ratio,
        target: '≤ 1.05',
        met: ratio <= 1.05,
      },
    ],
    details: {
      archiveBytes: bytes,
      treeBytes,
      repeats: REPEATS,
      medianMs: { bare: bareMs, system: systemMs },
      samples: { bareMs: bareSamples, system: runs.map((r) => ({ wallMs: r.wallMs, acceptedToDoneMs: r.acceptedToDoneMs, pickupMs: r.pickupMs })) },
    },
  }
}
