// The runner's side of webhooks. Messages are written by the outbox trigger of
// migrations/0008_webhook_outbox.sql in the transaction of the restore's status change; the
// relay locks undispatched ones, freezes their body and enqueues their pg-boss job in ONE
// postgres.js transaction (so a message is dispatched exactly when its job exists); each delivery
// attempt then reads the message with its webhook's decrypted secret and records its outcome.
import { WEBHOOK_MESSAGES_CHANNEL, type WebhookEvent } from '@devpilot/contracts'
import type { SecretBox } from '@devpilot/secrets'
import { and, asc, eq, isNull } from 'drizzle-orm'
import type postgres from 'postgres'
import { type Db, isoTimestamp } from '../client.js'
import { webhookDeliveries, webhookMessages, webhooks } from '../schema.js'
import { decryptWebhookSecret } from './webhooks.js'

export interface WebhookOutboxMessage {
  id: string
  workspaceId: string
  restoreId: string
  event: WebhookEvent
  /** ISO-8601 UTC: when the restore's status changed. */
  occurredAt: string
  /** The restore row at the event (to_jsonb); restoreFromSnapshot turns it into the API's record. */
  restoreSnapshot: unknown
}

/** Messages not yet handed to the queue, oldest first. */
export async function undispatchedWebhookMessages(db: Db, limit: number): Promise<WebhookOutboxMessage[]> {
  const rows = await db
    .select({
      id: webhookMessages.id,
      workspaceId: webhookMessages.workspaceId,
      restoreId: webhookMessages.restoreId,
      event: webhookMessages.event,
      occurredAt: webhookMessages.occurredAt,
      restoreSnapshot: webhookMessages.restoreSnapshot,
    })
    .from(webhookMessages)
    .where(isNull(webhookMessages.dispatchedAt))
    .orderBy(asc(webhookMessages.occurredAt), asc(webhookMessages.id))
    .limit(limit)
  return rows.map((r) => ({ ...r, occurredAt: isoTimestamp(r.occurredAt) }))
}

/**
 * Inside the caller's transaction: locks those of `ids` that are still undispatched, skipping rows
 * another relay holds, and returns their ids. postgres.js (not drizzle) because pg-boss enqueues
 * into the same transaction.
 */
export async function lockUndispatchedWebhookMessages(tx: postgres.TransactionSql, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return []
  const rows = await tx<{ id: string }[]>`
    SELECT id FROM webhook_messages WHERE id IN ${tx(ids)} AND dispatched_at IS NULL FOR UPDATE SKIP LOCKED`
  return rows.map((r) => r.id)
}

/** Freezes the body every attempt sends and marks the message dispatched (in the enqueueing transaction). */
export async function markWebhookMessageDispatched(tx: postgres.TransactionSql, params: { id: string; body: string }): Promise<void> {
  await tx`UPDATE webhook_messages SET body = ${params.body}, dispatched_at = now() WHERE id = ${params.id} AND dispatched_at IS NULL`
}

export interface WebhookAttempt {
  messageId: string
  workspaceId: string
  webhookId: string
  restoreId: string
  event: WebhookEvent
  body: string
  url: string
  /** False once the webhook was disabled or deleted: pending messages are then dropped. */
  active: boolean
  /** The `whsec_…` signing secret, decrypted: never log it, never store it elsewhere. */
  secret: string
}

/** One dispatched message with its webhook as it is now, or null when there is no such dispatched message. */
export async function loadWebhookAttempt(db: Db, box: SecretBox, messageId: string): Promise<WebhookAttempt | null> {
  const [row] = await db
    .select({
      messageId: webhookMessages.id,
      workspaceId: webhookMessages.workspaceId,
      webhookId: webhookMessages.webhookId,
      restoreId: webhookMessages.restoreId,
      event: webhookMessages.event,
      body: webhookMessages.body,
      url: webhooks.url,
      enabled: webhooks.enabled,
      deletedAt: webhooks.deletedAt,
      secretCiphertext: webhooks.secretCiphertext,
    })
    .from(webhookMessages)
    .innerJoin(webhooks, and(eq(webhooks.id, webhookMessages.webhookId), eq(webhooks.workspaceId, webhookMessages.workspaceId)))
    .where(eq(webhookMessages.id, messageId))
  if (!row || row.body === null) return null
  const { secretCiphertext, enabled, deletedAt, body, ...rest } = row
  return { ...rest, body, active: enabled && deletedAt === null, secret: decryptWebhookSecret(box, row.webhookId, secretCiphertext) }
}

export interface WebhookAttemptOutcome {
  statusCode: number | null
  error: string | null
  delivered: boolean
}

/** Appends one attempt to the delivery log; returns its attempt number (1 for the first). */
export async function recordWebhookDelivery(
  db: Db,
  attempt: Omit<WebhookAttempt, 'body' | 'url' | 'active' | 'secret'>,
  outcome: WebhookAttemptOutcome,
): Promise<number> {
  const [row] = await db.$client<{ attempt: number }[]>`
    INSERT INTO webhook_deliveries (workspace_id, webhook_id, message_id, event, restore_id, attempt, status_code, error, delivered_at)
    SELECT ${attempt.workspaceId}, ${attempt.webhookId}, ${attempt.messageId}, ${attempt.event}, ${attempt.restoreId},
           coalesce(max(attempt), 0) + 1, ${outcome.statusCode}, ${outcome.error}, ${outcome.delivered ? db.$client`now()` : null}
    FROM webhook_deliveries WHERE message_id = ${attempt.messageId}
    RETURNING attempt`
  if (!row) throw new Error('webhook delivery insert returned nothing')
  return row.attempt
}

/** Calls `onMessages` whenever the outbox trigger wrote messages; the promise settles once LISTEN is in place. */
export function listenWebhookMessages(db: Db, onMessages: () => void): ReturnType<Db['$client']['listen']> {
  return db.$client.listen(WEBHOOK_MESSAGES_CHANNEL, () => onMessages())
}

/** The delivery log of one message, oldest attempt first (tests and operations). */
export async function webhookMessageDeliveries(db: Db, messageId: string) {
  return db
    .select({
      attempt: webhookDeliveries.attempt,
      statusCode: webhookDeliveries.statusCode,
      error: webhookDeliveries.error,
      deliveredAt: webhookDeliveries.deliveredAt,
    })
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.messageId, messageId))
    .orderBy(asc(webhookDeliveries.attempt))
}
