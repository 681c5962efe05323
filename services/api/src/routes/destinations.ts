// /v1/destinations: where backup artifacts live. Secrets are write-only; DELETE is soft, so
// backups keep pointing at the destination (their restores then fail with destination_unavailable).
import {
  createDestinationSchema,
  destinationPageSchema,
  destinationSchema,
  idParamsSchema,
  listDestinationsQuerySchema,
  updateDestinationSchema,
} from '@devpilot/contracts'
import { getDestination, listDestinations, softDeleteDestination } from '@devpilot/db'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { bearerSecurity, principalOf } from '../auth.js'
import type { AppDeps } from '../deps.js'
import { found } from '../not-found.js'
import { problemResponses } from '../problem.js'
import { createDestinationChecked, updateDestinationChecked } from '../use-cases/manage-destinations.js'

const tags = ['destinations']

export const destinationRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, deps) => {
  const { db } = deps.database

  app.post(
    '/v1/destinations',
    {
      config: { minRole: 'admin' },
      schema: {
        operationId: 'createDestination',
        summary: 'Register a destination',
        description:
          "A `local` path must lie in this workspace's folder under LOCAL_DESTINATION_ROOTS (`<root>/<workspace slug>`). The S3 secret access key is stored encrypted and never returned.",
        tags,
        security: bearerSecurity,
        body: createDestinationSchema,
        response: { 201: destinationSchema, ...problemResponses('unauthorized', 'forbidden', 'validation_failed') },
      },
    },
    async (request, reply) => reply.code(201).send(await createDestinationChecked(deps, principalOf(request), request.body)),
  )

  app.get(
    '/v1/destinations',
    {
      schema: {
        operationId: 'listDestinations',
        summary: 'List destinations, newest first',
        tags,
        security: bearerSecurity,
        querystring: listDestinationsQuerySchema,
        response: { 200: destinationPageSchema, ...problemResponses('unauthorized', 'validation_failed') },
      },
    },
    async (request) => listDestinations(db, { workspaceId: principalOf(request).workspaceId, ...request.query }),
  )

  app.get(
    '/v1/destinations/:id',
    {
      schema: {
        operationId: 'getDestination',
        summary: 'Get one destination',
        tags,
        security: bearerSecurity,
        params: idParamsSchema,
        response: { 200: destinationSchema, ...problemResponses('unauthorized', 'not_found', 'validation_failed') },
      },
    },
    async (request) => found(await getDestination(db, { workspaceId: principalOf(request).workspaceId, id: request.params.id }), 'destination'),
  )

  app.patch(
    '/v1/destinations/:id',
    {
      config: { minRole: 'admin' },
      schema: {
        operationId: 'updateDestination',
        summary: 'Enable, disable or edit a destination',
        description: 'Only the fields of the destination type may be sent; the type itself cannot change.',
        tags,
        security: bearerSecurity,
        params: idParamsSchema,
        body: updateDestinationSchema,
        response: { 200: destinationSchema, ...problemResponses('unauthorized', 'forbidden', 'not_found', 'validation_failed') },
      },
    },
    async (request) => updateDestinationChecked(deps, principalOf(request), request.params.id, request.body),
  )

  app.delete(
    '/v1/destinations/:id',
    {
      config: { minRole: 'admin' },
      schema: {
        operationId: 'deleteDestination',
        summary: 'Delete a destination (soft delete)',
        description: 'Backups keep pointing at it and show it in their detail; restoring them fails with destination_unavailable.',
        tags,
        security: bearerSecurity,
        params: idParamsSchema,
        response: { 204: z.null().describe('Deleted'), ...problemResponses('unauthorized', 'forbidden', 'not_found', 'validation_failed') },
      },
    },
    async (request, reply) => {
      found((await softDeleteDestination(db, { workspaceId: principalOf(request).workspaceId, id: request.params.id })) || null, 'destination')
      return reply.code(204).send(null)
    },
  )
}
