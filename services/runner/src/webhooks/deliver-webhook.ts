// One delivery job: read the dispatched message with its webhook as it is now, sign the frozen
// body per Standard Webhooks (the same webhook-id on every attempt, a fresh timestamp), send it,
// and append the attempt to the delivery log. A failed attempt throws, so pg-boss retries it with
// backoff; a webhook disabled or deleted meanwhile ends its pending messages without an attempt.
import { signWebhook } from '@devpilot/contracts'
import { type Db, loadWebhookAttempt, recordWebhookDelivery } from '@devpilot/db'
import type { SecretBox } from '@devpilot/secrets'
import type { Logger } from '../logger.js'
import { sendWebhook, type WebhookRequest } from './send-webhook.js'

export interface DeliveryContext {
  db: Db
  box: SecretBox
  log: Logger
  timeoutMs: number
  allowPrivateNetworks: boolean
  lookup?: WebhookRequest['lookup']
  /** Aborted when the runner stops: attempts in flight are abandoned, recorded and retried later. */
  shutdownSignal?: AbortSignal
}

export class WebhookAttemptFailed extends Error {
  constructor(
    readonly attempt: number,
    reason: string,
  ) {
    super(`webhook delivery attempt ${attempt} failed: ${reason}`)
    this.name = 'WebhookAttemptFailed'
  }
}

export async function deliverWebhook(ctx: DeliveryContext, messageId: string): Promise<void> {
  const message = await loadWebhookAttempt(ctx.db, ctx.box, messageId)
  const log = ctx.log.child({ webhookMessageId: messageId })
  if (message === null) {
    log.warn('webhook message not found or not dispatched; nothing to deliver')
    return
  }
  const fields = { webhookId: message.webhookId, event: message.event, restoreId: message.restoreId, host: new URL(message.url).host }
  if (!message.active) {
    log.info(fields, 'webhook disabled or deleted; its pending delivery is dropped')
    return
  }
  const timestamp = Math.floor(Date.now() / 1000)
  const result = await sendWebhook({
    url: message.url,
    body: message.body,
    timeoutMs: ctx.timeoutMs,
    allowPrivateNetworks: ctx.allowPrivateNetworks,
    ...(ctx.lookup ? { lookup: ctx.lookup } : {}),
    ...(ctx.shutdownSignal ? { signal: ctx.shutdownSignal } : {}),
    headers: {
      'content-type': 'application/json',
      'user-agent': 'devpilot-restore-webhooks/1',
      'webhook-id': message.messageId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(message.secret, message.messageId, timestamp, message.body),
    },
  })
  const attempt = await recordWebhookDelivery(ctx.db, message, result)
  if (result.delivered) {
    log.info({ ...fields, attempt, statusCode: result.statusCode }, 'webhook delivered')
    return
  }
  log.warn({ ...fields, attempt, statusCode: result.statusCode, error: result.error }, 'webhook delivery attempt failed; the queue retries it with backoff')
  throw new WebhookAttemptFailed(attempt, result.error ?? `status ${result.statusCode}`)
}
