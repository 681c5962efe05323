// Preflight and preview of one restore attempt, between the claim and anything that touches the
// target: the checks for the target's kind (database.ts, files.ts), stored as they complete, then
// either the failure of a real restore (CheckList.throwIfFailed) or a dry run's preview. A dry run
// ends here: it never creates, locks or changes the target (restore-job.ts skips the target lock).
import { isDatabaseBackupFormat, isFileBackupFormat, type RestorePreview, toMicros } from '@devpilot/contracts'
import { type Ownership, type RestoreRun, recordRestoreChecks, type StoredSegment } from '@devpilot/db'
import { restoreError } from '../errors.js'
import type { Logger } from '../logger.js'
import type { TargetServer } from '../restore/pg-target.js'
import type { RunnerContext } from '../runner-context.js'
import { type OpenDeps, openArtifact } from '../sources/open-artifact.js'
import { VerifyingCounter } from '../sources/verify.js'
import { databaseChanges, fileChanges } from './changes.js'
import { CheckList } from './check-list.js'
import { databasePreflight } from './database.js'
import { filePreflight } from './files.js'

export interface PreflightParams {
  ctx: RunnerContext
  run: RestoreRun
  ownership: Ownership
  /** The database target (null for files). */
  server: TargetServer | null
  roots: readonly string[]
  openDeps: OpenDeps
  secrets: string[]
  /** Point-in-time restores: the segments the replay would apply, from the snapshot on. */
  pointInTime: { snapshotLsn: string; segments: readonly StoredSegment[] } | null
  signal: AbortSignal
  log: Logger
}

export interface PreflightResult {
  checks: CheckList
  /** Computes the preview (dry runs); throws when none can be made (artifact or target out of reach). */
  preview(): Promise<RestorePreview>
}

export async function runPreflight(p: PreflightParams): Promise<PreflightResult> {
  const { run } = p
  const checks = new CheckList(async (list) => {
    if (!(await recordRestoreChecks(p.ctx.db, { ...p.ownership, checks: list }))) p.log.warn('could not store the preflight checks: no longer the owner')
  })
  const open = async () => {
    const { artifact, secrets } = await openArtifact(run, p.openDeps)
    p.secrets.push(...secrets)
    return artifact
  }
  if (run.target.path) {
    if (!isFileBackupFormat(run.backup.format)) throw restoreError('restore_tool_failed', `A ${run.backup.format} backup cannot be restored to a path.`)
    const format = run.backup.format
    const result = await filePreflight({
      restoreId: run.id,
      targetPath: run.target.path,
      overwrite: run.overwrite,
      format,
      roots: p.roots,
      openInput: async () => {
        const artifact = await open()
        return { stages: [artifact.stream, new VerifyingCounter(run.backup.sha256, () => {})], location: artifact.location, size: artifact.size }
      },
      checks,
      signal: p.signal,
      log: p.log,
    })
    return {
      checks,
      preview: async () => {
        // A target path outside the roots cannot be looked at; one that is a file is only blocked.
        unpreviewable(checks, ['artifact_readable'])
        const outside = checks.failed.find((c) => c.name === 'target_path' && c.code === 'target_unreachable')
        if (outside) throw restoreError('target_unreachable', outside.message)
        return {
          verdict: checks.failed.length > 0 ? 'blocked' : 'ready',
          bytesNeeded: result.bytesNeeded,
          changes: result.members ? fileChanges(result.members) : null,
        }
      },
    }
  }
  if (!isDatabaseBackupFormat(run.backup.format)) throw restoreError('restore_tool_failed', `A ${run.backup.format} backup cannot be restored to a database.`)
  const server = p.server
  const targetDatabase = run.target.database
  if (!server || !targetDatabase) throw restoreError('target_unreachable', 'The target server of this restore was deleted.')
  const format = run.backup.format
  const result = await databasePreflight({
    restoreId: run.id,
    server,
    targetDatabase,
    overwrite: run.overwrite,
    keepOwnership: run.plan.sourceServerId === run.server?.id,
    partial: run.include !== null,
    format,
    openSource: open,
    tools: p.ctx.tools,
    checks,
    signal: p.signal,
    log: p.log,
  })
  return {
    checks,
    preview: async () => {
      unpreviewable(checks, ['artifact_readable', 'target_reachable'])
      const changes = result.catalog
        ? await databaseChanges({ catalog: result.catalog, server, targetDatabase, targetExists: result.targetExists, overwrite: run.overwrite })
        : null
      return {
        verdict: checks.failed.length > 0 ? 'blocked' : 'ready',
        bytesNeeded: result.bytesNeeded,
        changes,
        ...(p.pointInTime ? { pointInTime: pointInTimePreview(run, p.pointInTime.segments) } : {}),
      }
    },
  }
}

/** A dry run fails (instead of completing with a blocked preview) when it could read neither side. */
function unpreviewable(checks: CheckList, names: string[]): void {
  const failed = checks.failed.find((c) => names.includes(c.name))
  if (failed) throw restoreError(failed.code ?? 'preflight_failed', failed.message)
}

/** The base snapshot and the segments a replay up to the target time would read. */
function pointInTimePreview(run: RestoreRun, segments: readonly StoredSegment[]): NonNullable<RestorePreview['pointInTime']> {
  const until = run.pitTargetTime === null ? null : toMicros(run.pitTargetTime)
  const used = segments.filter((s) => until === null || toMicros(s.firstCommitAt) <= until)
  return { baseBackupId: run.backup.id, segments: used.length, firstLsn: used[0]?.startLsn ?? null, lastLsn: used.at(-1)?.endLsn ?? null }
}
