// The runner's pg-boss subscription: RUNNER_CONCURRENCY restores at once, LISTEN/NOTIFY wake-ups
// (pickup in milliseconds), the sweeper, and shutdown. On stop (SIGTERM) it takes no new jobs,
// lets in-flight restores finish for SHUTDOWN_GRACE_SECONDS, then aborts the rest, which drop
// their staging and fail with runner_shutdown, before pg-boss is stopped.

import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { RunnerConfig } from '@devpilot/config'
import { DRILL_QUEUE, drillJobSchema, RESTORE_QUEUE, restoreJobSchema } from '@devpilot/contracts'
import type { Db } from '@devpilot/db'
import { createBoss, ensureQueues } from '@devpilot/queue'
import type { SecretBox } from '@devpilot/secrets'
import type { Logger } from './logger.js'
import type { PgTools } from './pg-tools.js'
import { handleRestoreJob } from './restore-job.js'
import type { RunnerContext } from './runner-context.js'
import { runScheduledDrill } from './scheduled-drill.js'
import { type Sweeper, startSweeper } from './sweeper.js'
import { createValidationWorker } from './validation/validation-worker.js'
import { createWebhookDelivery } from './webhooks/webhook-worker.js'

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

/**
 * Each slot's pg-boss worker: one job a fetch; polls every 2 s only while LISTEN is down, and
 * backs NOTIFY up every 5 s (pg-boss's default backstop is 30 s).
 */
const WORK_OPTIONS = { batchSize: 1, pollingIntervalSeconds: 2, notifyPollingIntervalSeconds: 5 } as const

/** pg-boss fetches higher priorities first: a woken restore outranks the backlog (priority 0). */
const WAKE_PRIORITY = 10

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
    // +1 for the webhook workers' fetches (brief; deliveries hold no pg-boss connection while sending).
    max: config.RUNNER_CONCURRENCY + 4,
    // Plans' drill schedules: every runner keeps the cron; pg-boss sends each occurrence once.
    schedule: true,
    onError: (error) => log.error({ err: error }, 'queue error'),
  })
  let started = false
  let stopping = false
  let sweeper: Sweeper | null = null
  // Webhooks have their own queue and slots: a slow receiver never holds a restore slot.
  const webhooks = createWebhookDelivery({ boss, db: deps.db, box: deps.box, config, log: log.child({ runnerId }) })

  const ctx: RunnerContext = {
    db: deps.db,
    box: deps.box,
    config,
    runnerId,
    tools: deps.tools,
    log: log.child({ runnerId }),
    shutdownSignal: shutdown.signal,
    async requeue(restoreId, delaySeconds, options = {}) {
      await boss.send(RESTORE_QUEUE, restoreJobSchema.parse({ restoreId }), {
        ...(delaySeconds > 0 ? { startAfter: delaySeconds } : {}),
        ...(options.wake ? { priority: WAKE_PRIORITY } : {}),
      })
    },
  }

  const validations = createValidationWorker(boss, ctx)

  const runJob = async (data: unknown) => {
    const { restoreId } = restoreJobSchema.parse(data)
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

  return {
    runnerId,
    ready: () => started && !stopping,
    sweepNow: async () => sweeper?.sweepNow(),
    async start() {
      await boss.start()
      await ensureQueues(boss)
      // One pg-boss worker per slot, so each knows its own id: after a job a worker sleeps its
      // NOTIFY backstop unless it was notified meanwhile, and a backlog larger than the
      // concurrency then drained one wave per backstop. Notifying itself as a job ends makes the
      // worker fetch again at once; only an empty fetch lets it sleep until the next NOTIFY.
      for (let slot = 0; slot < config.RUNNER_CONCURRENCY; slot++) {
        let workerId: string | undefined
        workerId = await boss.work(RESTORE_QUEUE, WORK_OPTIONS, async (jobs) => {
          try {
            for (const job of jobs) await runJob(job.data)
          } finally {
            if (workerId !== undefined) boss.notifyWorker(workerId)
          }
        })
      }
      await validations.start()
      await boss.work(DRILL_QUEUE, { batchSize: 1, pollingIntervalSeconds: 5 }, async ([job]) => {
        if (job) await runScheduledDrill(ctx, boss, drillJobSchema.parse(job.data))
      })
      sweeper = startSweeper(ctx, ctx.log)
      await webhooks.start()
      started = true
      ctx.log.info({ concurrency: config.RUNNER_CONCURRENCY, lostAfterSeconds: config.RUNNER_LOST_AFTER_SECONDS }, 'runner started')
    },
    async stop() {
      if (stopping) return
      stopping = true
      ctx.log.info({ inFlight: inFlight.size, graceSeconds: config.SHUTDOWN_GRACE_SECONDS }, 'stopping: no new restores')
      if (started) await Promise.all([boss.offWork(RESTORE_QUEUE, { wait: false }), boss.offWork(DRILL_QUEUE, { wait: false })])
      if (started) await validations.stop()
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
      await webhooks.stop()
      if (started) await boss.stop({ graceful: true, timeout: 5000 })
      ctx.log.info('runner stopped')
    },
  }
}
