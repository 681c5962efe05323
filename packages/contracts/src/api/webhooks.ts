// Workspace webhooks (admin): restore and drill events delivered per the Standard Webhooks
// specification. The signing secret is shown once, in the creation answer, and never again.
import { z } from 'zod'
import { webhookEventSchema } from '../enums.js'
import { idSchema, pageSchema, paginationQuerySchema, timestampSchema } from './common.js'

const webhookUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).max(2048)

export const webhookSchema = z
  .object({ id: idSchema, url: z.string(), events: z.array(webhookEventSchema), enabled: z.boolean(), createdAt: timestampSchema })
  .meta({ id: 'Webhook' })
export type Webhook = z.infer<typeof webhookSchema>

export const createdWebhookSchema = webhookSchema
  .extend({ secret: z.string().describe('`whsec_…`: the signing secret, shown only in this answer.') })
  .meta({ id: 'WebhookCreated' })

export const createWebhookSchema = z
  .object({ url: webhookUrl, events: z.array(webhookEventSchema).min(1), enabled: z.boolean().default(true) })
  .strict()
  .meta({ id: 'WebhookCreate' })
export type CreateWebhook = z.infer<typeof createWebhookSchema>

export const updateWebhookSchema = z
  .object({ url: webhookUrl.optional(), events: z.array(webhookEventSchema).min(1).optional(), enabled: z.boolean().optional() })
  .strict()
  .meta({ id: 'WebhookUpdate' })
export type UpdateWebhook = z.infer<typeof updateWebhookSchema>

export const webhookDeliverySchema = z
  .object({
    id: idSchema,
    event: webhookEventSchema,
    attempt: z.number().int(),
    statusCode: z.number().int().nullable(),
    error: z.string().nullable(),
    deliveredAt: timestampSchema.nullable().describe('When a 2xx answer arrived; null while it has not.'),
  })
  .meta({ id: 'WebhookDelivery' })
export type WebhookDelivery = z.infer<typeof webhookDeliverySchema>

export const webhookPageSchema = pageSchema(webhookSchema, 'WebhookPage')
export const webhookDeliveryPageSchema = pageSchema(webhookDeliverySchema, 'WebhookDeliveryPage')
export const listWebhooksQuerySchema = paginationQuerySchema
