// /v1/webhooks: workspace webhooks and their delivery log, admins only (other roles 403, other
// workspaces 404). The signing secret appears once, in the 201 of the creation; no other answer
// carries it, nor the delivery log.
import {
  createdWebhookSchema,
  createWebhookSchema,
  idParamsSchema,
  listWebhooksQuerySchema,
  updateWebhookSchema,
  webhookDeliveryPageSchema,
  webhookPageSchema,
  webhookSchema,
} from '@devpilot/contracts'
import { getWebhook, listWebhookDeliveries, listWebhooks, softDeleteWebhook } from '@devpilot/db'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { bearerSecurity, principalOf } from '../auth.js'
import type { AppDeps } from '../deps.js'
import { found } from '../not-found.js'
import { problemResponses } from '../problem.js'
import { createWebhookChecked, updateWebhookChecked } from '../use-cases/manage-webhooks.js'

const tags = ['webhooks']
const admin = { minRole: 'admin' } as const

export const webhookRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, deps) => {
  const { db } = deps.database

  app.post(
    '/v1/webhooks',
    {
      config: admin,
      schema: {
        operationId: 'createWebhook',
        summary: 'Create a webhook',
        description:
          'Deliveries are signed per Standard Webhooks with the generated `secret`, which this answer shows once and no other does. The URL must be http(s) and its host must resolve to public addresses only (loopback, private and link-local addresses are refused unless the deployment sets WEBHOOK_ALLOW_PRIVATE_NETWORKS=true).',
        tags,
        security: bearerSecurity,
        body: createWebhookSchema,
        response: { 201: createdWebhookSchema, ...problemResponses('unauthorized', 'forbidden', 'validation_failed') },
      },
    },
    async (request, reply) => reply.code(201).send(await createWebhookChecked(deps, principalOf(request).workspaceId, request.body)),
  )

  app.get(
    '/v1/webhooks',
    {
      config: admin,
      schema: {
        operationId: 'listWebhooks',
        summary: 'List webhooks, newest first',
        tags,
        security: bearerSecurity,
        querystring: listWebhooksQuerySchema,
        response: { 200: webhookPageSchema, ...problemResponses('unauthorized', 'forbidden', 'validation_failed') },
      },
    },
    async (request) => listWebhooks(db, { workspaceId: principalOf(request).workspaceId, ...request.query }),
  )

  app.get(
    '/v1/webhooks/:id',
    {
      config: admin,
      schema: {
        operationId: 'getWebhook',
        summary: 'Get one webhook',
        tags,
        security: bearerSecurity,
        params: idParamsSchema,
        response: { 200: webhookSchema, ...problemResponses('unauthorized', 'forbidden', 'not_found', 'validation_failed') },
      },
    },
    async (request) => found(await getWebhook(db, { workspaceId: principalOf(request).workspaceId, id: request.params.id }), 'webhook'),
  )

  app.patch(
    '/v1/webhooks/:id',
    {
      config: admin,
      schema: {
        operationId: 'updateWebhook',
        summary: 'Change a webhook',
        description: 'Absent fields keep their value; a new URL is checked like on creation. The secret does not change. Disabling stops pending retries.',
        tags,
        security: bearerSecurity,
        params: idParamsSchema,
        body: updateWebhookSchema,
        response: { 200: webhookSchema, ...problemResponses('unauthorized', 'forbidden', 'not_found', 'validation_failed') },
      },
    },
    async (request) => updateWebhookChecked(deps, principalOf(request).workspaceId, request.params.id, request.body),
  )

  app.delete(
    '/v1/webhooks/:id',
    {
      config: admin,
      schema: {
        operationId: 'deleteWebhook',
        summary: 'Delete a webhook (soft delete)',
        description: 'No further deliveries are made, pending retries included; the delivery log is kept.',
        tags,
        security: bearerSecurity,
        params: idParamsSchema,
        response: { 204: z.null().describe('Deleted'), ...problemResponses('unauthorized', 'forbidden', 'not_found', 'validation_failed') },
      },
    },
    async (request, reply) => {
      found((await softDeleteWebhook(db, { workspaceId: principalOf(request).workspaceId, id: request.params.id })) || null, 'webhook')
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/v1/webhooks/:id/deliveries',
    {
      config: admin,
      schema: {
        operationId: 'listWebhookDeliveries',
        summary: "List a webhook's delivery attempts, newest first",
        description:
          'One item per attempt: `attempt` counts the attempts of one event, `statusCode` is the receiver answer (null when none came), `error` says why an attempt failed, `deliveredAt` is set on a 2xx.',
        tags,
        security: bearerSecurity,
        params: idParamsSchema,
        querystring: listWebhooksQuerySchema,
        response: { 200: webhookDeliveryPageSchema, ...problemResponses('unauthorized', 'forbidden', 'not_found', 'validation_failed') },
      },
    },
    async (request) =>
      found(await listWebhookDeliveries(db, { workspaceId: principalOf(request).workspaceId, webhookId: request.params.id, ...request.query }), 'webhook'),
  )
}
