// The runner's pg-boss subscription: RUNNER_CONCURRENCY restores at once, LISTEN/NOTIFY wake-ups
// (pickup in milliseconds), the sweeper, and shutdown. On stop (SIGTERM) it takes no new jobs,
// lets in-flight restores finish for SHUTDOWN_GRACE_SECONDS, then aborts the rest, which drop
// their staging and fail with runner_shutdown, before pg-boss is stopped.

import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { RunnerConfig } from '@devpilot/config'
import { RESTORE_QUEUE, restoreJobSchema } from '@devpilot/contracts'
import type { Db } from '@devpilot/db'
import { createBoss, ensureRestoreQueue } from '@devpilot/queue'
import type { SecretBox } from '@devpilot/secrets'
import type { Logger } from './logger.js'
import type { PgTools } from './pg-tools.js'
import { handleRestoreJob } from './restore-job.js'
import type { RunnerContext } from './runner-context.js'
import { type Sweeper, startSweeper } from './sweeper.js'

export interface Worker {
  runnerId: string
  start(): Promise<void>
  /** Graceful stop: no new work, grace period for in-flight restores, then abort them. */
  stop(): Promise<void>
  ready(): boolean
  /** Runs one sweep now (tests and operations). */
  sweepNow(): Promise<void>
}

export interface WorkerDeps {
  config: RunnerConfig
  db: Db
  box: SecretBox
  tools: PgTools
  log: Logger
}

export function defaultRunnerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
}

export function createWorker(deps: WorkerDeps): Worker {
  const { config, log } = deps
  const runnerId = config.RUNNER_ID ?? defaultRunnerId()
  const shutdown = new AbortController()
  const inFlight = new Set<Promise<void>>()
  const boss = createBoss({
    url: config.DATABASE_URL,
    max: config.RUNNER_CONCURRENCY + 3,
    onError: (error) => log.error({ err: error }, 'queue error'),
  })
  let started = false
  let stopping = false
  let sweeper: Sweeper | null = null

  const ctx: RunnerContext = {
    db: deps.db,
    box: deps.box,
    config,
    runnerId,
    tools: deps.tools,
    log: log.child({ runnerId }),
    shutdownSignal: shutdown.signal,
    async requeue(restoreId, delaySeconds) {
      await boss.send(RESTORE_QUEUE, restoreJobSchema.parse({ restoreId }), delaySeconds > 0 ? { startAfter: delaySeconds } : {})
    },
  }

  return {
    runnerId,
    ready: () => started && !stopping,
    sweepNow: async () => sweeper?.sweepNow(),
    async start() {
      await boss.start()
      await ensureRestoreQueue(boss)
      await boss.work(RESTORE_QUEUE, { batchSize: 1, localConcurrency: config.RUNNER_CONCURRENCY, pollingIntervalSeconds: 2 }, async (jobs) => {
        for (const job of jobs) {
          const { restoreId } = restoreJobSchema.parse(job.data)
          const task = handleRestoreJob(ctx, restoreId).catch((error: unknown) => {
            // Otherwise only pg-boss would know: the job fails and comes back (retry), unlogged.
            ctx.log.error({ err: error, restoreId }, 'restore job failed before its outcome was recorded; the queue will retry it')
            throw error
          })
          inFlight.add(task)
          try {
            await task
          } finally {
            inFlight.delete(task)
          }
        }
      })
      sweeper = startSweeper(ctx, ctx.log)
      started = true
      ctx.log.info({ concurrency: config.RUNNER_CONCURRENCY, lostAfterSeconds: config.RUNNER_LOST_AFTER_SECONDS }, 'runner started')
    },
    async stop() {
      if (stopping) return
      stopping = true
      ctx.log.info({ inFlight: inFlight.size, graceSeconds: config.SHUTDOWN_GRACE_SECONDS }, 'stopping: no new restores')
      if (started) await boss.offWork(RESTORE_QUEUE, { wait: false })
      await sweeper?.stop()
      const settled = Promise.allSettled([...inFlight])
      let graceTimer: NodeJS.Timeout | undefined
      const graceOver = new Promise<'grace_over'>((resolve) => {
        graceTimer = setTimeout(() => resolve('grace_over'), config.SHUTDOWN_GRACE_SECONDS * 1000)
      })
      if ((await Promise.race([settled.then(() => 'done' as const), graceOver])) === 'grace_over') {
        ctx.log.warn({ inFlight: inFlight.size }, 'grace period over; failing the restores still running')
        shutdown.abort()
        await settled
      }
      clearTimeout(graceTimer)
      if (started) await boss.stop({ graceful: true, timeout: 5000 })
      ctx.log.info('runner stopped')
    },
  }
}
