// The point-in-time composition of a database restore: a point-in-time restore is an ordinary
// database restore of its base snapshot, plus a step that replays the change stream into the
// staging database before the swap. This module checks the backup can serve as the base and builds
// that step from what the orchestration read (segments, their destinations); it records nothing.
import type { BackupFormat } from '@devpilot/contracts'
import type { RunDestination, StoredSegment } from '@devpilot/db'
import { restoreError } from '../../errors.js'
import type { Logger } from '../../logger.js'
import type { OpenDeps } from '../../sources/open-artifact.js'
import type { TargetServer } from '../pg-target.js'
import { replayStreamIntoStaging } from './apply-stream.js'

/** The snapshot LSN replay starts from; refuses a backup that is not a pg_custom base snapshot with one. */
export function pointInTimeBase(backup: { format: BackupFormat; snapshotLsn: string | null }): string {
  if (backup.format !== 'pg_custom' || backup.snapshotLsn === null) {
    throw restoreError('restore_tool_failed', 'A point-in-time restore needs a pg_custom base snapshot with a snapshot LSN; this backup has none.')
  }
  return backup.snapshotLsn
}

export interface PointInTimeApplied {
  appliedLsn: string | null
  appliedCommitAt: string | null
}

export interface PointInTimeStep {
  /** Replays the stream into the staging database (DatabaseRestoreParams.afterStagingRestore). */
  afterStagingRestore(stagingDatabase: string): Promise<void>
  /** How far replay got, once the step ran; null before. */
  applied(): PointInTimeApplied | null
}

export function pointInTimeStep(params: {
  targetTime: string
  snapshotLsn: string
  segments: readonly StoredSegment[]
  destinations: ReadonlyMap<string, RunDestination | null>
  server: TargetServer
  openDeps: OpenDeps
  /** The restore's byte counter: segment bytes are counted on top of the base snapshot's. */
  progress: { bytesDone: number }
  secrets: string[]
  log: Logger
}): PointInTimeStep {
  let applied: PointInTimeApplied | null = null
  return {
    applied: () => applied,
    async afterStagingRestore(stagingDatabase) {
      const baseBytes = params.progress.bytesDone
      const result = await replayStreamIntoStaging({
        segments: params.segments,
        destinations: params.destinations,
        targetTime: params.targetTime,
        snapshotLsn: params.snapshotLsn,
        server: params.server,
        stagingDatabase,
        openDeps: params.openDeps,
        onBytes: (n) => {
          params.progress.bytesDone = baseBytes + n
        },
        secrets: params.secrets,
        log: params.log,
      })
      applied = { appliedLsn: result.appliedLsn, appliedCommitAt: result.appliedCommitAt }
    },
  }
}
