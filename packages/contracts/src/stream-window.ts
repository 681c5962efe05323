// The restorable window of a real-time plan, computed from its base snapshots and change-stream
// segments. A moment T is restorable from snapshot S when S completed at or before T and the
// segments from S's LSN on are contiguous up to a commit at or after T: everything committed
// after S's LSN and at or before T is then in the stream. Pure functions: the API answers the
// window with them and picks the snapshot; the runner picks the segments to replay.
import { lsnToBigInt, toMicros } from './pitr-time.js'

export interface WindowSnapshot {
  backupId: string
  snapshotLsn: string
  completedAt: string
}

export interface WindowSegment {
  id: string
  startLsn: string
  endLsn: string
  firstCommitAt: string
  lastCommitAt: string
}

export interface RestorableInterval {
  from: string
  to: string
  baseBackupId: string
}

export interface StreamWindow {
  intervals: RestorableInterval[]
  gaps: Array<{ afterLsn: string; beforeLsn: string }>
  earliestRestorableAt: string | null
  latestRestorableAt: string | null
}

function byStart<T extends { startLsn: string }>(segments: T[]): T[] {
  return [...segments].sort((a, b) => {
    const d = lsnToBigInt(a.startLsn) - lsnToBigInt(b.startLsn)
    return d < 0n ? -1 : d > 0n ? 1 : 0
  })
}

/** The contiguous run of segments that covers `lsn` onwards (empty when no segment holds it). */
export function segmentsFrom<T extends WindowSegment>(segments: T[], lsn: string): T[] {
  const sorted = byStart(segments)
  const at = lsnToBigInt(lsn)
  const startIdx = sorted.findIndex((s) => lsnToBigInt(s.startLsn) <= at && at <= lsnToBigInt(s.endLsn))
  if (startIdx < 0) return []
  const run: T[] = []
  for (let i = startIdx; i < sorted.length; i++) {
    const seg = sorted[i]
    if (!seg) break
    const prev = run.at(-1)
    if (prev && seg.startLsn !== prev.endLsn && lsnToBigInt(seg.startLsn) !== lsnToBigInt(prev.endLsn)) break
    run.push(seg)
  }
  return run
}

export function streamWindow(snapshots: WindowSnapshot[], segments: WindowSegment[]): StreamWindow {
  const sorted = byStart(segments)
  const gaps: StreamWindow['gaps'] = []
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]
    const next = sorted[i]
    if (prev && next && lsnToBigInt(next.startLsn) > lsnToBigInt(prev.endLsn)) gaps.push({ afterLsn: prev.endLsn, beforeLsn: next.startLsn })
  }
  const intervals: RestorableInterval[] = []
  for (const snap of snapshots) {
    const run = segmentsFrom(sorted, snap.snapshotLsn)
    const last = run.at(-1)
    if (!last || toMicros(last.lastCommitAt) < toMicros(snap.completedAt)) continue
    intervals.push({ from: snap.completedAt, to: last.lastCommitAt, baseBackupId: snap.backupId })
  }
  intervals.sort((a, b) => (toMicros(a.from) < toMicros(b.from) ? -1 : 1))
  const earliest = intervals.reduce<string | null>((m, i) => (m === null || toMicros(i.from) < toMicros(m) ? i.from : m), null)
  const latest = intervals.reduce<string | null>((m, i) => (m === null || toMicros(i.to) > toMicros(m) ? i.to : m), null)
  return { intervals, gaps, earliestRestorableAt: earliest, latestRestorableAt: latest }
}

/** The snapshot to restore `targetTime` from: the latest one whose interval contains it, or null. */
export function snapshotFor(window: StreamWindow, targetTime: string): RestorableInterval | null {
  const t = toMicros(targetTime)
  const containing = window.intervals.filter((i) => toMicros(i.from) <= t && t <= toMicros(i.to))
  return containing.reduce<RestorableInterval | null>((best, i) => (best === null || toMicros(i.from) > toMicros(best.from) ? i : best), null)
}
