// The orchestration of one claimed restore attempt: heartbeat and ownership checks, shutdown
// abort, opening the artifact, the driver for the target's kind (files, or a database with the
// point-in-time step), and the final completed or failed record. Everything the drivers need is
// read here and passed down; drivers never read the product database. Expected failures are
// recorded on the restore; only errors that leave the record unwritten escape (pg-boss retries).
import { isAppError, isDatabaseBackupFormat, isFileBackupFormat, type RestorePreview, segmentsFrom, workspaceRoots } from '@devpilot/contracts'
import {
  completeRestore,
  type Db,
  failRestore,
  listStreamSegments,
  loadRunDestination,
  type RestoreRun,
  type RunDestination,
  recordPointInTimeApplied,
  recordRestorePreview,
  type StoredSegment,
} from '@devpilot/db'
import { finishDrill, prepareDrill } from './drill-scratch.js'
import { OwnershipLostError, restoreError, toRestoreFailure } from './errors.js'
import { failpointFrom } from './failpoint.js'
import type { Logger } from './logger.js'
import { restoreFinished, restoreKind } from './metrics.js'
import { runPreflight } from './preflight/run-preflight.js'
import { RestoreProgress } from './progress.js'
import type { ArtifactInput } from './restore/feed-tool.js'
import { restoreFiles } from './restore/files.js'
import { checkRecorder, partialDatabase } from './restore/partial/driver.js'
import type { TargetServer } from './restore/pg-target.js'
import { type PointInTimeStep, pointInTimeBase, pointInTimeStep } from './restore/pitr/point-in-time.js'
import { restoreDatabase } from './restore/postgres.js'
import type { RunnerContext } from './runner-context.js'
import { openArtifact } from './sources/open-artifact.js'
import { VerifyingCounter } from './sources/verify.js'
import { resolveTargetServer } from './target-server.js'
import { databaseVerificationStep, fileDrillVerificationStep } from './verification.js'

/** Heartbeat period: progress is written at least every 2 s, and often enough to never look lost. */
export function heartbeatIntervalMs(lostAfterSeconds: number): number {
  return Math.max(200, Math.min(2000, (lostAfterSeconds * 1000) / 5))
}

/** The stream segments to replay from the snapshot LSN on, and each one's destination (null when gone). */
async function readStreamFrom(
  db: Db,
  run: RestoreRun,
  snapshotLsn: string,
): Promise<{ segments: StoredSegment[]; destinations: Map<string, RunDestination | null> }> {
  const all = await listStreamSegments(db, { workspaceId: run.workspaceId, planId: run.plan.id })
  const segments = segmentsFrom(all, snapshotLsn)
  const destinations = new Map<string, RunDestination | null>()
  for (const { destinationId } of segments) {
    if (!destinations.has(destinationId)) destinations.set(destinationId, await loadRunDestination(db, { workspaceId: run.workspaceId, destinationId }))
  }
  return { segments, destinations }
}

export async function runRestore(ctx: RunnerContext, run: RestoreRun, attempt: number, log: Logger): Promise<void> {
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
  const progress = new RestoreProgress(
    ctx.db,
    ownership,
    heartbeatIntervalMs(ctx.config.RUNNER_LOST_AFTER_SECONDS),
    log,
    () => controller.abort(new OwnershipLostError(run.id)),
    () => controller.abort(cancelledError()),
  )
  progress.bytesTotal = run.backup.sizeBytes
  progress.start()
  const secrets: string[] = []
  const openDeps = { box: ctx.box, localRoots: workspaceRoots(ctx.config.LOCAL_DESTINATION_ROOTS, run.workspaceSlug), signal: controller.signal }
  const openInput = async (): Promise<ArtifactInput> => {
    const { artifact, secrets: sourceSecrets } = await openArtifact(run, openDeps)
    secrets.push(...sourceSecrets)
    progress.bytesTotal = artifact.size ?? run.backup.sizeBytes
    log.info({ location: artifact.location, bytesTotal: progress.bytesTotal, sha256Known: run.backup.sha256 !== null }, 'streaming the artifact')
    return { stages: [artifact.stream, new VerifyingCounter(run.backup.sha256, (n) => (progress.bytesDone = n))], file: artifact.file }
  }
  const beforeCommit = async () => {
    if (!(await progress.confirmOwnership())) throw new OwnershipLostError(run.id)
    // Verification (stage `verify`) runs before this point. Entering `swap` decides a racing cancel.
    const entry = await progress.enterSwap()
    if (entry === 'lost') throw new OwnershipLostError(run.id)
    if (entry === 'cancelled') throw cancelledError()
  }
  const recordCheck = checkRecorder(ctx.db, ownership)
  let afterComplete: (() => Promise<void>) | null = null
  let pointInTime: PointInTimeStep | null = null
  let preview: RestorePreview | null = null
  try {
    if (run.drill) await prepareDrill(ctx, run, log)
    // Preflight (preflight/): every check before the target is touched; a dry run ends with its preview.
    await progress.setStage('preflight')
    const server = run.target.path ? null : targetServerOf(ctx, run)
    if (server?.password) secrets.push(server.password)
    const snapshotLsn = server && run.pitTargetTime !== null ? pointInTimeBase(run.backup) : null
    const stream = snapshotLsn ? await readStreamFrom(ctx.db, run, snapshotLsn) : null
    const preflight = await runPreflight({
      ctx,
      run,
      ownership,
      server,
      roots: workspaceRoots(ctx.config.RESTORE_PATH_ROOTS, run.workspaceSlug),
      openDeps,
      secrets,
      pointInTime: snapshotLsn && stream ? { snapshotLsn, segments: stream.segments } : null,
      signal: controller.signal,
      log,
    })
    if (!run.dryRun) {
      preflight.checks.throwIfFailed()
      await progress.setStage('restore')
    }
    if (run.dryRun) {
      // A preview ends with its change list: the target is never created, locked or changed.
      preview = await preflight.preview()
    } else if (run.target.path) {
      if (!isFileBackupFormat(run.backup.format)) throw restoreError('restore_tool_failed', `A ${run.backup.format} backup cannot be restored to a path.`)
      const result = await restoreFiles({
        restoreId: run.id,
        attempt,
        targetPath: run.target.path,
        overwrite: run.overwrite,
        format: run.backup.format,
        roots: workspaceRoots(ctx.config.RESTORE_PATH_ROOTS, run.workspaceSlug),
        openInput,
        expectedBytes: () => progress.bytesTotal,
        beforeMove: beforeCommit,
        ...(run.drill ? { verifyStaged: fileDrillVerificationStep(ctx, run, ownership) } : {}),
        failpoint: failpointFrom(ctx.config.RUNNER_FAILPOINT),
        include: run.include?.paths ? { paths: run.include.paths, recordCheck } : null,
        signal: controller.signal,
        log,
      })
      if (result.finishedEarlierSwitch) {
        // Nothing was streamed: the bytes were restored by the attempt whose switch this one finished.
        progress.bytesDone = progress.bytesTotal ?? run.backup.sizeBytes ?? 0
        log.warn('the previous attempt had committed its switch; finished it instead of restoring again')
      }
      afterComplete = result.afterComplete
    } else {
      if (!isDatabaseBackupFormat(run.backup.format))
        throw restoreError('restore_tool_failed', `A ${run.backup.format} backup cannot be restored to a database.`)
      if (!server || !run.target.database || !run.server) throw restoreError('target_unreachable', 'The target server of this restore was deleted.')
      if (run.pitTargetTime !== null && snapshotLsn && stream) {
        pointInTime = pointInTimeStep({
          targetTime: run.pitTargetTime,
          snapshotLsn,
          ...stream,
          server,
          openDeps,
          progress,
          secrets,
          log,
        })
      }
      const replay = pointInTime
      const driver = run.include ? partialDatabase(run.include, run.targetSchema, recordCheck) : restoreDatabase
      const result = await driver({
        afterStagingRestore: replay
          ? async (staging) => {
              await progress.setStage('replay')
              await replay.afterStagingRestore(staging)
            }
          : undefined,
        verifyStaging: databaseVerificationStep(ctx, run, ownership, server, secrets, log),
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
        expectedBytes: () => progress.bytesTotal,
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
    // A cancel or shutdown aborts whatever step ran; the abort's reason, not that step's error, is why it failed.
    const reason = controller.signal.aborted && isAppError(controller.signal.reason) ? controller.signal.reason : error
    const failure = toRestoreFailure(reason)
    if (failure.code === 'internal_error') log.error({ err: error }, 'restore failed with an unexpected error')
    else log.warn({ code: failure.code, reason: failure.message }, 'restore failed')
    const recorded = await failRestore(ctx.db, { ...ownership, ...failure })
    if (!recorded) log.warn('could not record the failure: this runner no longer owns the restore')
    else restoreFinished('failed', failure.code, timing)
    return
  }
  progress.stop()
  ctx.shutdownSignal.removeEventListener('abort', onShutdown)
  const applied = pointInTime?.applied()
  if (applied) await recordPointInTimeApplied(ctx.db, { ...ownership, ...applied })
  if (preview) await recordRestorePreview(ctx.db, { ...ownership, preview })
  const recorded = await completeRestore(ctx.db, { ...ownership, bytesDone: progress.bytesDone })
  if (!recorded) {
    log.warn('restore finished but this runner no longer owns the record')
    return
  }
  restoreFinished('completed', null, timing)
  log.info({ bytes: progress.bytesDone }, 'restore completed')
  if (afterComplete)
    await afterComplete().catch((error: unknown) => log.warn({ err: error }, 'could not clear the swap marker or switch journal of the target'))
  if (run.drill) await finishDrill(ctx, run, log)
}

/** The database target of a run, its password decrypted; target_unreachable when it was deleted. */
function targetServerOf(ctx: RunnerContext, run: RestoreRun): TargetServer {
  if (!run.server || run.server.deleted || !run.target.database) throw restoreError('target_unreachable', 'The target server of this restore was deleted.')
  return resolveTargetServer(ctx.box, run.server)
}

function cancelledError() {
  return restoreError('cancelled', 'Cancelled on request before the swap; the staging copy was dropped and the target was not changed.')
}
