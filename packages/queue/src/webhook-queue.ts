// The webhook delivery queue: separate from restores, so a slow or failing receiver never holds a
// restore slot. Retries are pg-boss's exponential backoff: retry n waits between 2^(n-1) and 2^n
// times the base delay (random within that range), at most the cap; the retry limit is chosen so
// that even the shortest draws keep a message retried for at least 24 hours.
import { WEBHOOK_QUEUE, type WebhookJob, webhookJobSchema } from '@devpilot/contracts'
import type { PgBoss } from 'pg-boss'
import type postgres from 'postgres'

/** How long deliveries of one message go on, at the least. */
export const WEBHOOK_RETRY_WINDOW_SECONDS = 24 * 60 * 60

export interface WebhookRetryPolicy {
  retryLimit: number
  retryDelay: number
  retryBackoff: true
  retryDelayMax: number
}

/**
 * The fewest retries whose shortest possible waits (pg-boss: retry n waits at least
 * min(cap, base * 2^(n-1))) add up to WEBHOOK_RETRY_WINDOW_SECONDS.
 */
export function webhookRetryPolicy(baseDelaySeconds: number, maxDelaySeconds: number): WebhookRetryPolicy {
  let retryLimit = 0
  let span = 0
  while (span < WEBHOOK_RETRY_WINDOW_SECONDS) {
    retryLimit += 1
    span += Math.min(maxDelaySeconds, baseDelaySeconds * 2 ** Math.min(15, retryLimit - 1))
  }
  return { retryLimit, retryDelay: baseDelaySeconds, retryBackoff: true, retryDelayMax: maxDelaySeconds }
}

export const WEBHOOK_QUEUE_OPTIONS = {
  notify: true,
  // An attempt is bounded by WEBHOOK_TIMEOUT_SECONDS; a job active much longer lost its runner.
  expireInSeconds: 5 * 60,
} as const

/** Creates the webhook queue if it does not exist (idempotent). */
export async function ensureWebhookQueue(boss: PgBoss): Promise<void> {
  await boss.createQueue(WEBHOOK_QUEUE, WEBHOOK_QUEUE_OPTIONS)
}

/** Enqueues one message's delivery job inside the caller's postgres.js transaction (the relay's, which marks it dispatched). */
export async function enqueueWebhookJob(boss: PgBoss, tx: postgres.TransactionSql, job: WebhookJob, retry: WebhookRetryPolicy): Promise<string> {
  const payload = webhookJobSchema.parse(job)
  const id = await boss.send(WEBHOOK_QUEUE, payload, {
    ...retry,
    db: { executeSql: async (text: string, values?: unknown[]) => ({ rows: await tx.unsafe(text, (values ?? []) as never[]) }) },
  })
  if (id === null) throw new Error(`pg-boss did not enqueue the delivery of webhook message ${job.messageId}`)
  return id
}
