// Preview and cancel against the 1 GiB pg_custom dump (local destination, so the figure is the
// runner's and not the S3 emulator's). Preview: the runner time of a dry run (started → completed on
// the record): it reads the dump's table of contents from the front and the target's catalog, not
// the data, so it should stay well under a second. Cancel: a real restore of the same dump is
// cancelled once bytes flow, and the latency is cancelRequestedAt → completedAt (failed/cancelled),
// bounded by the heartbeat period (2 s by default). Three rounds each; medians in the table.
import type { ApiClient } from '@devpilot/api-client'
import { must, restoreAndWait } from '../lib/api.js'
import { dropDatabase } from '../lib/bare-tools.js'
import type { BenchContext } from '../lib/context.js'
import type { BenchResult } from '../lib/report.js'
import { fmtSeconds, isoMicros, median } from '../lib/stats.js'
import { prepareDumpBackup } from './database-restore.js'

const REPEATS = 3

async function cancelOnce(api: ApiClient, backupId: string, database: string): Promise<number> {
  const started = must(await api.POST('/v1/backups/{id}/restores', { params: { path: { id: backupId } }, body: { targetDatabase: database } }), 'start restore')
  for (;;) {
    const now = must(await api.GET('/v1/restores/{id}', { params: { path: { id: started.id } } }), 'get restore')
    if (now.status !== 'pending' && now.progress.stage === 'restore' && now.progress.bytesDone > 0) break
    if (now.status === 'completed' || now.status === 'failed') throw new Error(`restore ${started.id} ended ${now.status} before it could be cancelled`)
    await new Promise((r) => setTimeout(r, 50))
  }
  must(await api.POST('/v1/restores/{id}/cancel', { params: { path: { id: started.id } } }), 'cancel')
  for (;;) {
    const now = must(await api.GET('/v1/restores/{id}', { params: { path: { id: started.id } } }), 'get restore')
    if (now.status === 'failed' || now.status === 'completed') {
      if (now.error?.code !== 'cancelled' || !now.cancelRequestedAt || !now.completedAt)
        throw new Error(`restore ${now.id} ended ${now.status} ${now.error?.code}`)
      return (isoMicros(now.completedAt) - isoMicros(now.cancelRequestedAt)) / 1000
    }
    await new Promise((r) => setTimeout(r, 50))
  }
}

export async function benchPreviewCancel(ctx: BenchContext): Promise<BenchResult> {
  const { system, ws, log } = ctx
  const dump = await prepareDumpBackup(ctx, 'bench_preview_1g', 1024)
  const previewMs: number[] = []
  const cancelMs: number[] = []
  for (let rep = 1; rep <= REPEATS; rep++) {
    const run = await restoreAndWait(ws.api, dump.localBackupId, { targetDatabase: `preview_${rep}`, dryRun: true })
    const { startedAt, completedAt } = run.restore
    if (!startedAt || !completedAt || !run.restore.preview) throw new Error(`preview ${run.id} has no preview`)
    previewMs.push((isoMicros(completedAt) - isoMicros(startedAt)) / 1000)
    log(`preview: runner ${fmtSeconds(previewMs.at(-1) ?? 0)}, ${run.restore.preview.changes?.create ?? 0} creates listed`)
    cancelMs.push(await cancelOnce(ws.api, dump.localBackupId, `cancel_${rep}`))
    await dropDatabase(system.cluster, `cancel_${rep}`)
    log(`cancel: requested → failed in ${fmtSeconds(cancelMs.at(-1) ?? 0)}`)
  }
  const preview = median(previewMs)
  const cancel = median(cancelMs)
  return {
    rows: [
      {
        metric: 'preview of the 1 GiB pg_custom dump (runner time)',
        system: fmtSeconds(preview),
        bare: '—',
        ratio: null,
        target: '< 1 s',
        met: preview < 1000,
      },
      { metric: 'cancel → failed, mid pg_restore (1 GiB)', system: fmtSeconds(cancel), bare: '—', ratio: null, target: '≤ 5 s', met: cancel <= 5000 },
    ],
    details: { artifactBytes: dump.bytes, repeats: REPEATS, previewRunnerMs: previewMs, cancelLatencyMs: cancelMs },
  }
}
