// Webhook delivery in the runner: the outbox relay and WEBHOOK_CONCURRENCY pg-boss workers on the
// webhook queue, which is separate from the restore queue: a receiver that is slow, down or
// answering 500 only ever occupies these slots, never a restore's, and a restore never waits for
// a delivery (the event is written by a trigger; sending happens here, later).
import type { RunnerConfig } from '@devpilot/config'
import { WEBHOOK_QUEUE, webhookJobSchema } from '@devpilot/contracts'
import type { Db } from '@devpilot/db'
import { ensureWebhookQueue, webhookRetryPolicy } from '@devpilot/queue'
import type { SecretBox } from '@devpilot/secrets'
import type { PgBoss } from 'pg-boss'
import type { Logger } from '../logger.js'
import { deliverWebhook } from './deliver-webhook.js'
import { startWebhookRelay, type WebhookRelay } from './webhook-relay.js'

const WORK_OPTIONS = { batchSize: 1, pollingIntervalSeconds: 2, notifyPollingIntervalSeconds: 5 } as const

export interface WebhookDelivery {
  start(): Promise<void>
  /** Stops the relay and takes no new deliveries; attempts in flight are abandoned (recorded, retried later by any runner). */
  stop(): Promise<void>
}

export function createWebhookDelivery(deps: {
  boss: PgBoss
  db: Db
  box: SecretBox
  config: Pick<
    RunnerConfig,
    'WEBHOOK_CONCURRENCY' | 'WEBHOOK_TIMEOUT_SECONDS' | 'WEBHOOK_ALLOW_PRIVATE_NETWORKS' | 'WEBHOOK_RETRY_DELAY_SECONDS' | 'WEBHOOK_RETRY_DELAY_MAX_SECONDS'
  >
  log: Logger
}): WebhookDelivery {
  const { boss, config } = deps
  const log = deps.log.child({ component: 'webhooks' })
  const retry = webhookRetryPolicy(config.WEBHOOK_RETRY_DELAY_SECONDS, config.WEBHOOK_RETRY_DELAY_MAX_SECONDS)
  const shutdown = new AbortController()
  const ctx = {
    shutdownSignal: shutdown.signal,
    db: deps.db,
    box: deps.box,
    log,
    timeoutMs: config.WEBHOOK_TIMEOUT_SECONDS * 1000,
    allowPrivateNetworks: config.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
  }
  let relay: WebhookRelay | null = null
  let started = false

  return {
    async start() {
      await ensureWebhookQueue(boss)
      for (let slot = 0; slot < config.WEBHOOK_CONCURRENCY; slot++) {
        let workerId: string | undefined
        workerId = await boss.work(WEBHOOK_QUEUE, WORK_OPTIONS, async (jobs) => {
          try {
            for (const job of jobs) await deliverWebhook(ctx, webhookJobSchema.parse(job.data).messageId)
          } finally {
            // As for restores: fetch the next job at once instead of sleeping the NOTIFY backstop.
            if (workerId !== undefined) boss.notifyWorker(workerId)
          }
        })
      }
      relay = startWebhookRelay({ db: deps.db, boss, retry, log })
      started = true
      log.info({ concurrency: config.WEBHOOK_CONCURRENCY, retryLimit: retry.retryLimit }, 'webhook delivery started')
    },
    async stop() {
      if (!started) return
      await relay?.stop()
      const stopped = boss.offWork(WEBHOOK_QUEUE, { wait: true })
      shutdown.abort()
      await stopped
    },
  }
}
