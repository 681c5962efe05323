// One job, one restore: read the record, move it to in_progress (claim, or take over a restore
// whose runner went silent), run the driver for its kind, and finish with completed or failed.
// Expected failures are recorded on the restore and the job itself succeeds; only errors that
// leave the record unwritten (the product database unreachable) make pg-boss retry the job.

import type { RunnerConfig } from '@devpilot/config'
import { DATABASE_BACKUP_FORMATS, type DatabaseBackupFormat, FILE_BACKUP_FORMATS, type FileBackupFormat, workspaceRoots } from '@devpilot/contracts'
import {
  claimRestore,
  completeRestore,
  type Db,
  decryptServerPassword,
  failLostRestore,
  failPendingRestore,
  failRestore,
  loadRestoreRun,
  nextPendingRestoreForTarget,
  type RestoreRun,
  recordPointInTimeApplied,
  takeOverRestore,
} from '@devpilot/db'
import type { SecretBox } from '@devpilot/secrets'
import { OwnershipLostError, restoreError, toRestoreFailure } from './errors.js'
import type { Logger } from './logger.js'
import { countInFlight, restoreFinished, restoreKind } from './metrics.js'
import type { PgTools } from './pg-tools.js'
import { RestoreProgress } from './progress.js'
import type { StreamStage } from './restore/feed-tool.js'
import { cleanupFileLeftovers, restoreFiles } from './restore/files.js'
import type { TargetServer } from './restore/pg-target.js'
import { replayStreamIntoStaging } from './restore/pitr/apply-stream.js'
import { cleanupDatabaseLeftovers, clearSwapMarker, restoreDatabase, targetHoldsRestore } from './restore/postgres.js'
import { destinationProblem, openArtifact } from './sources/open-artifact.js'
import { VerifyingCounter } from './sources/verify.js'
import { tryLockTarget } from './target-lock.js'

export interface RunnerContext {
  db: Db
  box: SecretBox
  config: RunnerConfig
  runnerId: string
  tools: PgTools
  log: Logger
  /**
   * Sends a job for the restore, to run after `delaySeconds`. `wake` puts it ahead of the queue's
   * backlog: a restore that waited for its target goes next, not behind everything accepted since.
   */
  requeue(restoreId: string, delaySeconds: number, options?: { wake?: boolean }): Promise<void>
  /** Aborted when the shutdown grace period is over: in-flight restores must stop and fail. */
  shutdownSignal: AbortSignal
}

/** Heartbeat period: progress is written at least every 2 s, and often enough to never look lost. */
export function heartbeatIntervalMs(lostAfterSeconds: number): number {
  return Math.max(200, Math.min(2000, (lostAfterSeconds * 1000) / 5))
}

export async function handleRestoreJob(ctx: RunnerContext, restoreId: string): Promise<void> {
  const log = ctx.log.child({ restoreId })
  const run = await loadRestoreRun(ctx.db, restoreId)
  if (!run) {
    log.warn('job for a restore that does not exist; dropping it')
    return
  }
  if (run.status === 'completed' || run.status === 'failed') {
    log.info({ status: run.status }, 'restore already finished; duplicate job ignored')
    return
  }
  // Another restore of the same physical target (an aliasing server row, a nested path) runs elsewhere: wait.
  const lock = await tryLockTarget(ctx.db.$client, run)
  if (!lock) {
    log.info(
      { retryInSeconds: ctx.config.RUNNER_TARGET_BUSY_RETRY_SECONDS },
      'target busy with another restore (same host and database, or an enclosing path); waiting',
    )
    await ctx.requeue(restoreId, ctx.config.RUNNER_TARGET_BUSY_RETRY_SECONDS)
    return
  }
  let ran: boolean
  try {
    ran = await claimAndRun(ctx, run, log)
  } finally {
    await lock.release()
  }
  // The target is free again: wake the restore waiting longest for it instead of its next retry.
  if (!ran) return
  const next = await nextPendingRestoreForTarget(ctx.db, restoreId)
  if (next) await ctx.requeue(next, 0, { wake: true })
}

/** Claims (or takes over) the restore and runs it; false when it did not run here. */
async function claimAndRun(ctx: RunnerContext, run: RestoreRun, log: Logger): Promise<boolean> {
  const restoreId = run.id
  let attempt: number
  if (run.status === 'pending') {
    const problem = destinationProblem(run.destination)
    if (problem) {
      const failed = await failPendingRestore(ctx.db, { restoreId, runnerId: ctx.runnerId, code: 'destination_unavailable', message: problem })
      if (failed) restoreFinished('failed', 'destination_unavailable')
      log.info({ failed }, 'destination unavailable before start; restore failed without starting')
      return false
    }
    const claim = await claimRestore(ctx.db, { restoreId, runnerId: ctx.runnerId })
    if (claim.kind === 'lost') {
      log.info('restore was claimed by another runner first')
      return false
    }
    if (claim.kind === 'target_busy') {
      log.info({ retryInSeconds: ctx.config.RUNNER_TARGET_BUSY_RETRY_SECONDS }, 'target busy with another restore; waiting in pending')
      await ctx.requeue(restoreId, ctx.config.RUNNER_TARGET_BUSY_RETRY_SECONDS)
      return false
    }
    attempt = claim.attempt
  } else {
    const lostAfter = ctx.config.RUNNER_LOST_AFTER_SECONDS
    if (run.heartbeatAgeSeconds !== null && run.heartbeatAgeSeconds < lostAfter) {
      log.info({ runnerId: run.runnerId }, 'restore is running on a live runner; duplicate job ignored')
      return false
    }
    if (run.attempt >= ctx.config.RUNNER_MAX_ATTEMPTS) {
      await declareLost(ctx, run, log)
      return false
    }
    const taken = await takeOverRestore(ctx.db, { restoreId, runnerId: ctx.runnerId, seenAttempt: run.attempt, lostAfterSeconds: lostAfter })
    if (!taken) {
      log.info('another runner took the restore over first')
      return false
    }
    log.warn({ previousRunner: run.runnerId, attempt: taken.attempt }, 'taking over a restore whose runner went silent; retrying from scratch')
    attempt = taken.attempt
  }
  await countInFlight(restoreKind(run.target), () => execute(ctx, run, attempt, log.child({ attempt })))
  return true
}

/** Fails a restore whose last allowed attempt lost its runner, and cleans what that attempt left. */
export async function declareLost(ctx: RunnerContext, run: Pick<RestoreRun, 'id' | 'attempt' | 'runnerId'>, log: Logger): Promise<void> {
  const lostAfter = ctx.config.RUNNER_LOST_AFTER_SECONDS
  if (await recordSwappedAsCompleted(ctx, run, log)) return
  const failed = await failLostRestore(ctx.db, {
    restoreId: run.id,
    seenAttempt: run.attempt,
    lostAfterSeconds: lostAfter,
    message: `The runner ${run.runnerId ?? '(unknown)'} stopped sending heartbeats for more than ${lostAfter} s during attempt ${run.attempt} of ${ctx.config.RUNNER_MAX_ATTEMPTS}; the target was not changed. Start the restore again.`,
  })
  if (!failed) return
  restoreFinished('failed', 'runner_lost')
  log.warn({ runnerId: run.runnerId, attempt: run.attempt }, 'restore failed with runner_lost')
  const full = await loadRestoreRun(ctx.db, run.id)
  if (full) await cleanupLeftovers(ctx, full, log)
}

/**
 * A runner killed after the swap but before recording `completed` left the target holding the
 * restored database (marked with the restore id). Failing the restore then would report "the
 * target was not changed" while it was, so it is recorded completed on behalf of the lost attempt.
 */
async function recordSwappedAsCompleted(ctx: RunnerContext, run: Pick<RestoreRun, 'id' | 'attempt' | 'runnerId'>, log: Logger): Promise<boolean> {
  const full = await loadRestoreRun(ctx.db, run.id)
  if (!full?.server || !full.target.database || run.runnerId === null) return false
  let server: TargetServer
  let swapped: boolean
  try {
    server = targetServer(ctx, full.server)
    swapped = await targetHoldsRestore(server, full.target.database, run.id)
  } catch (error) {
    log.warn({ err: error }, 'could not check whether the lost attempt had already swapped the target in')
    return false
  }
  if (!swapped) return false
  // Guard: the lost attempt's ownership (runner id + attempt), still in_progress.
  const recorded = await completeRestore(ctx.db, { restoreId: run.id, runnerId: run.runnerId, attempt: run.attempt, bytesDone: full.backup.sizeBytes ?? 0 })
  if (recorded) {
    log.warn({ runnerId: run.runnerId, attempt: run.attempt }, 'the lost attempt had swapped the restored database in; recorded completed')
    await clearSwapMarker(server, full.target.database).catch((error: unknown) => log.warn({ err: error }, 'could not clear the swap marker'))
  }
  return recorded
}

async function cleanupLeftovers(ctx: RunnerContext, run: RestoreRun, log: Logger): Promise<void> {
  try {
    if (run.target.path) await cleanupFileLeftovers(run.target.path, run.id, log)
    else if (run.server && run.target.database) await cleanupDatabaseLeftovers(targetServer(ctx, run.server), run.id, log)
  } catch (error) {
    // Leftovers are recognisable by name and are dropped by the next attempt touching this restore.
    log.warn({ err: error }, 'could not clean up the leftovers of a lost restore')
  }
}

function targetServer(ctx: RunnerContext, server: NonNullable<RestoreRun['server']>): TargetServer {
  let password: string | null = null
  if (server.passwordCiphertext) {
    try {
      password = decryptServerPassword(ctx.box, server.id, server.passwordCiphertext)
    } catch (error) {
      throw restoreError('target_unreachable', "The target server's password could not be decrypted with this runner's SECRETS_KEY.", error)
    }
  }
  return {
    host: server.host,
    port: server.port,
    username: server.username,
    password,
    maintenanceDatabase: server.maintenanceDatabase,
    sslmode: server.sslmode,
  }
}

async function execute(ctx: RunnerContext, run: RestoreRun, attempt: number, log: Logger): Promise<void> {
  const ownership = { restoreId: run.id, runnerId: ctx.runnerId, attempt }
  const timing = { kind: restoreKind(run.target), startedAtMs: performance.now() }
  const controller = new AbortController()
  const onShutdown = () =>
    controller.abort(
      restoreError(
        'runner_shutdown',
        'The runner was shut down and the restore did not finish within its grace period; the target was not changed. Start the restore again.',
      ),
    )
  if (ctx.shutdownSignal.aborted) onShutdown()
  else ctx.shutdownSignal.addEventListener('abort', onShutdown, { once: true })
  const progress = new RestoreProgress(ctx.db, ownership, heartbeatIntervalMs(ctx.config.RUNNER_LOST_AFTER_SECONDS), log, () =>
    controller.abort(new OwnershipLostError(run.id)),
  )
  progress.bytesTotal = run.backup.sizeBytes
  progress.start()
  const secrets: string[] = []
  const openInput = async (): Promise<StreamStage[]> => {
    const { artifact, secrets: sourceSecrets } = await openArtifact(run, {
      box: ctx.box,
      localRoots: workspaceRoots(ctx.config.LOCAL_DESTINATION_ROOTS, run.workspaceSlug),
      signal: controller.signal,
    })
    secrets.push(...sourceSecrets)
    progress.bytesTotal = artifact.size ?? run.backup.sizeBytes
    log.info({ location: artifact.location, bytesTotal: progress.bytesTotal, sha256Known: run.backup.sha256 !== null }, 'streaming the artifact')
    return [artifact.stream, new VerifyingCounter(run.backup.sha256, (n) => (progress.bytesDone = n))]
  }
  const beforeCommit = async () => {
    if (!(await progress.confirmOwnership())) throw new OwnershipLostError(run.id)
  }
  let afterComplete: (() => Promise<void>) | null = null
  let pointInTime: { appliedLsn: string | null; appliedCommitAt: string | null } | null = null
  try {
    if (run.target.path) {
      if (!isFileFormat(run.backup.format)) throw restoreError('restore_tool_failed', `A ${run.backup.format} backup cannot be restored to a path.`)
      await restoreFiles({
        restoreId: run.id,
        attempt,
        targetPath: run.target.path,
        overwrite: run.overwrite,
        format: run.backup.format,
        roots: workspaceRoots(ctx.config.RESTORE_PATH_ROOTS, run.workspaceSlug),
        openInput,
        beforeMove: beforeCommit,
        signal: controller.signal,
        log,
      })
    } else {
      if (!isDatabaseFormat(run.backup.format)) throw restoreError('restore_tool_failed', `A ${run.backup.format} backup cannot be restored to a database.`)
      if (!run.server || run.server.deleted || !run.target.database) throw restoreError('target_unreachable', 'The target server of this restore was deleted.')
      const server = targetServer(ctx, run.server)
      if (server.password) secrets.push(server.password)
      const pitTargetTime = run.pitTargetTime
      const snapshotLsn = run.backup.snapshotLsn
      if (pitTargetTime !== null && (run.backup.format !== 'pg_custom' || snapshotLsn === null)) {
        throw restoreError('restore_tool_failed', 'A point-in-time restore needs a pg_custom base snapshot with a snapshot LSN; this backup has none.')
      }
      const afterStagingRestore =
        pitTargetTime !== null && snapshotLsn !== null
          ? async (stagingDatabase: string) => {
              const baseBytes = progress.bytesDone
              const result = await replayStreamIntoStaging({
                db: ctx.db,
                run,
                targetTime: pitTargetTime,
                snapshotLsn,
                server,
                stagingDatabase,
                openDeps: { box: ctx.box, localRoots: workspaceRoots(ctx.config.LOCAL_DESTINATION_ROOTS, run.workspaceSlug), signal: controller.signal },
                onBytes: (n) => {
                  progress.bytesDone = baseBytes + n
                },
                secrets,
                log,
              })
              pointInTime = { appliedLsn: result.appliedLsn, appliedCommitAt: result.appliedCommitAt }
            }
          : undefined
      const result = await restoreDatabase({
        afterStagingRestore,
        restoreId: run.id,
        attempt,
        server,
        targetDatabase: run.target.database,
        overwrite: run.overwrite,
        format: run.backup.format,
        keepOwnership: run.plan.sourceServerId === run.server.id,
        openInput,
        tools: ctx.tools,
        jobs: ctx.config.PG_RESTORE_JOBS,
        tempDir: ctx.config.RUNNER_TEMP_DIR,
        secrets,
        beforeSwap: beforeCommit,
        signal: controller.signal,
        log,
      })
      afterComplete = result.afterComplete
    }
  } catch (error) {
    progress.stop()
    ctx.shutdownSignal.removeEventListener('abort', onShutdown)
    if (error instanceof OwnershipLostError || controller.signal.reason instanceof OwnershipLostError) {
      log.warn('stopped: another runner owns this restore now')
      return
    }
    const failure = toRestoreFailure(error)
    if (failure.code === 'internal_error') log.error({ err: error }, 'restore failed with an unexpected error')
    else log.warn({ code: failure.code, reason: failure.message }, 'restore failed')
    const recorded = await failRestore(ctx.db, { ...ownership, ...failure })
    if (!recorded) log.warn('could not record the failure: this runner no longer owns the restore')
    else restoreFinished('failed', failure.code, timing)
    return
  }
  progress.stop()
  ctx.shutdownSignal.removeEventListener('abort', onShutdown)
  if (pointInTime !== null)
    await recordPointInTimeApplied(ctx.db, { ...ownership, ...(pointInTime as { appliedLsn: string | null; appliedCommitAt: string | null }) })
  const recorded = await completeRestore(ctx.db, { ...ownership, bytesDone: progress.bytesDone })
  if (!recorded) {
    log.warn('restore finished but this runner no longer owns the record')
    return
  }
  restoreFinished('completed', null, timing)
  log.info({ bytes: progress.bytesDone }, 'restore completed')
  if (afterComplete) await afterComplete().catch((error: unknown) => log.warn({ err: error }, 'could not clear the swap marker on the target'))
}

function isFileFormat(format: string): format is FileBackupFormat {
  return (FILE_BACKUP_FORMATS as readonly string[]).includes(format)
}

function isDatabaseFormat(format: string): format is DatabaseBackupFormat {
  return (DATABASE_BACKUP_FORMATS as readonly string[]).includes(format)
}
