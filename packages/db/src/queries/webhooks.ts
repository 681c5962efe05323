// Workspace webhooks as the API manages them, and their delivery log. The signing secret is
// encrypted before it reaches SQL, bound to the row id (`webhook:<id>`), and no function here
// returns it: only the runner decrypts it (webhook-outbox.ts), to sign a delivery. Deleting is
// soft (deleted_at): the delivery log keeps pointing at the row, pending retries stop.
import type { CreateWebhook, Page, UpdateWebhook, Webhook, WebhookDelivery } from '@devpilot/contracts'
import type { SecretBox } from '@devpilot/secrets'
import { and, eq, isNull, sql } from 'drizzle-orm'
import { type Db, isoTimestamp } from '../client.js'
import { webhookDeliveries, webhooks } from '../schema.js'
import { afterCursor, newestFirst, type PageParams, toPage } from './pagination.js'

export function encryptWebhookSecret(box: SecretBox, webhookId: string, secret: string): string {
  return box.encrypt(secret, `webhook:${webhookId}`)
}

export function decryptWebhookSecret(box: SecretBox, webhookId: string, ciphertext: string): string {
  return box.decrypt(ciphertext, `webhook:${webhookId}`)
}

const webhookColumns = {
  id: webhooks.id,
  url: webhooks.url,
  events: webhooks.events,
  enabled: webhooks.enabled,
  createdAt: webhooks.createdAt,
}
type WebhookRow = { id: string; url: string; events: Webhook['events']; enabled: boolean; createdAt: string }

function toWebhook(row: WebhookRow): Webhook {
  return { ...row, createdAt: isoTimestamp(row.createdAt) }
}

const live = (workspaceId: string) => and(eq(webhooks.workspaceId, workspaceId), isNull(webhooks.deletedAt))

/** Creates the webhook with its (already generated) signing secret, stored encrypted. */
export async function createWebhook(db: Db, box: SecretBox, params: { workspaceId: string; input: CreateWebhook; secret: string }): Promise<Webhook> {
  const id = crypto.randomUUID()
  const [row] = await db
    .insert(webhooks)
    .values({
      id,
      workspaceId: params.workspaceId,
      url: params.input.url,
      events: [...new Set(params.input.events)],
      enabled: params.input.enabled,
      secretCiphertext: encryptWebhookSecret(box, id, params.secret),
    })
    .returning(webhookColumns)
  if (!row) throw new Error('webhook insert returned nothing')
  return toWebhook(row)
}

export async function listWebhooks(db: Db, params: { workspaceId: string } & PageParams): Promise<Page<Webhook>> {
  const rows = await db
    .select(webhookColumns)
    .from(webhooks)
    .where(and(live(params.workspaceId), afterCursor(webhooks.createdAt, webhooks.id, params.cursor)))
    .orderBy(...newestFirst(webhooks.createdAt, webhooks.id))
    .limit(params.limit + 1)
  return toPage(rows, params.limit, toWebhook)
}

/** A live (not deleted) webhook of the workspace, or null. */
export async function getWebhook(db: Db, params: { workspaceId: string; id: string }): Promise<Webhook | null> {
  const [row] = await db
    .select(webhookColumns)
    .from(webhooks)
    .where(and(live(params.workspaceId), eq(webhooks.id, params.id)))
  return row ? toWebhook(row) : null
}

export async function updateWebhook(db: Db, params: { workspaceId: string; id: string; patch: UpdateWebhook }): Promise<Webhook | null> {
  const { patch } = params
  const [row] = await db
    .update(webhooks)
    .set({
      url: patch.url,
      events: patch.events ? [...new Set(patch.events)] : undefined,
      enabled: patch.enabled,
      updatedAt: sql`now()`,
    })
    .where(and(live(params.workspaceId), eq(webhooks.id, params.id)))
    .returning(webhookColumns)
  return row ? toWebhook(row) : null
}

/** Soft delete; false when there is no live webhook with that id in the workspace. */
export async function softDeleteWebhook(db: Db, params: { workspaceId: string; id: string }): Promise<boolean> {
  const rows = await db
    .update(webhooks)
    .set({ deletedAt: sql`now()` })
    .where(and(live(params.workspaceId), eq(webhooks.id, params.id)))
    .returning({ id: webhooks.id })
  return rows.length > 0
}

/** Every delivery attempt of the webhook, newest first; null when the webhook is not a live one of the workspace. */
export async function listWebhookDeliveries(db: Db, params: { workspaceId: string; webhookId: string } & PageParams): Promise<Page<WebhookDelivery> | null> {
  if ((await getWebhook(db, { workspaceId: params.workspaceId, id: params.webhookId })) === null) return null
  const rows = await db
    .select({
      id: webhookDeliveries.id,
      event: webhookDeliveries.event,
      attempt: webhookDeliveries.attempt,
      statusCode: webhookDeliveries.statusCode,
      error: webhookDeliveries.error,
      deliveredAt: webhookDeliveries.deliveredAt,
      createdAt: webhookDeliveries.createdAt,
    })
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.workspaceId, params.workspaceId),
        eq(webhookDeliveries.webhookId, params.webhookId),
        afterCursor(webhookDeliveries.createdAt, webhookDeliveries.id, params.cursor),
      ),
    )
    .orderBy(...newestFirst(webhookDeliveries.createdAt, webhookDeliveries.id))
    .limit(params.limit + 1)
  return toPage(rows, params.limit, (row) => ({
    id: row.id,
    event: row.event,
    attempt: row.attempt,
    statusCode: row.statusCode,
    error: row.error,
    deliveredAt: isoTimestamp(row.deliveredAt),
  }))
}
