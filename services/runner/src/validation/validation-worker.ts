// The runner's subscription to the backup-validation queue: RUNNER_VALIDATION_CONCURRENCY uploaded
// backups validated at once, beside the restores. A job carries only the backup id. The backup is
// claimed (pending | in_progress -> in_progress), validated, and recorded completed or failed with
// the verdict. A fault that is not the artifact's (storage unreachable, the runner stopping) fails
// the job so pg-boss runs it again later, on any runner; the last attempt records it on the backup
// instead, so no upload stays in_progress forever. On stop, validations in progress are cut off at
// once (they only read, so running them again costs nothing but time).
import { BACKUP_VALIDATION_QUEUE, backupValidationJobSchema } from '@devpilot/contracts'
import { claimBackupValidation, finishBackupValidation, loadBackupValidation } from '@devpilot/db'
import type { PgBoss } from 'pg-boss'
import { toRestoreFailure } from '../errors.js'
import type { RunnerContext } from '../runner-context.js'
import { verdictOf } from './upload-rejected.js'
import { validateUpload } from './validate-upload.js'

export interface ValidationWorker {
  start(): Promise<void>
  stop(): Promise<void>
}

interface Attempt {
  retryCount: number
  retryLimit: number
}

export function createValidationWorker(boss: PgBoss, ctx: RunnerContext): ValidationWorker {
  const stopping = new AbortController()
  const inFlight = new Set<Promise<void>>()
  const track = async (task: Promise<void>) => {
    inFlight.add(task)
    try {
      await task
    } finally {
      inFlight.delete(task)
    }
  }
  return {
    async start() {
      await boss.work(
        BACKUP_VALIDATION_QUEUE,
        {
          batchSize: 1,
          includeMetadata: true,
          localConcurrency: ctx.config.RUNNER_VALIDATION_CONCURRENCY,
          pollingIntervalSeconds: 2,
          notifyPollingIntervalSeconds: 5,
        },
        async (jobs) => {
          for (const job of jobs) {
            const { backupId } = backupValidationJobSchema.parse(job.data)
            await track(validateBackup(ctx, backupId, job, stopping.signal))
          }
        },
      )
    },
    async stop() {
      await boss.offWork(BACKUP_VALIDATION_QUEUE, { wait: false })
      stopping.abort(new Error('the runner is stopping'))
      await Promise.allSettled([...inFlight])
    },
  }
}

async function validateBackup(ctx: RunnerContext, backupId: string, attempt: Attempt, stopping: AbortSignal): Promise<void> {
  const log = ctx.log.child({ backupId })
  const run = await loadBackupValidation(ctx.db, { backupId })
  if (run?.source !== 'upload') {
    log.warn('no uploaded backup with this id; nothing to validate')
    return
  }
  // Guard: only pending or in_progress (a lost attempt's) uploads are validated; a finished one stays as it is.
  if (!(await claimBackupValidation(ctx.db, { backupId }))) {
    log.info({ status: run.status }, 'the backup is no longer waiting for validation')
    return
  }
  const started = Date.now()
  try {
    await validateUpload(ctx, run, stopping)
  } catch (error) {
    const verdict = verdictOf(error)
    const lastAttempt = attempt.retryCount >= attempt.retryLimit
    if (!verdict && !lastAttempt) {
      log.warn({ err: error, attempt: attempt.retryCount + 1 }, 'validation interrupted; it will run again')
      throw error
    }
    const failure = verdict ?? {
      code: toRestoreFailure(error).code === 'destination_unavailable' ? 'destination_unavailable' : 'internal_error',
      message: messageOf(error),
    }
    const recorded = await finishBackupValidation(ctx.db, { backupId, error: { code: failure.code, message: failure.message } })
    log.info({ code: failure.code, recorded, ms: Date.now() - started }, 'upload failed validation')
    return
  }
  const recorded = await finishBackupValidation(ctx.db, { backupId, error: null })
  // Zero rows: another runner (a redelivered job) recorded the outcome first.
  log.info({ recorded, ms: Date.now() - started }, 'upload validated')
}

function messageOf(error: unknown): string {
  const failure = toRestoreFailure(error)
  return failure.code === 'internal_error' ? 'The upload could not be validated; details are in the runner log under this backup id.' : failure.message
}
