// /v1/servers: restore targets. Admins manage them; everyone reads. DELETE is soft so plans and
// restore history keep their references; a deleted server is gone from every read and write here.
import { createServerSchema, idParamsSchema, listServersQuerySchema, serverPageSchema, serverSchema, updateServerSchema } from '@devpilot/contracts'
import { createServer, getServer, listServers, softDeleteServer } from '@devpilot/db'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { bearerSecurity, principalOf } from '../auth.js'
import type { AppDeps } from '../deps.js'
import { found } from '../not-found.js'
import { problemResponses } from '../problem.js'
import { updateServerChecked } from '../use-cases/update-server.js'

const tags = ['servers']

export const serverRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, deps) => {
  const { database, box } = deps
  const { db } = database

  app.post(
    '/v1/servers',
    {
      config: { minRole: 'admin' },
      schema: {
        operationId: 'createServer',
        summary: 'Register a target server',
        tags,
        security: bearerSecurity,
        body: createServerSchema,
        response: { 201: serverSchema, ...problemResponses('unauthorized', 'forbidden', 'validation_failed') },
      },
    },
    async (request, reply) => {
      const server = await createServer(db, box, { workspaceId: principalOf(request).workspaceId, input: request.body })
      return reply.code(201).send(server)
    },
  )

  app.get(
    '/v1/servers',
    {
      schema: {
        operationId: 'listServers',
        summary: 'List target servers, newest first',
        tags,
        security: bearerSecurity,
        querystring: listServersQuerySchema,
        response: { 200: serverPageSchema, ...problemResponses('unauthorized', 'validation_failed') },
      },
    },
    async (request) => listServers(db, { workspaceId: principalOf(request).workspaceId, ...request.query }),
  )

  app.get(
    '/v1/servers/:id',
    {
      schema: {
        operationId: 'getServer',
        summary: 'Get one target server',
        tags,
        security: bearerSecurity,
        params: idParamsSchema,
        response: { 200: serverSchema, ...problemResponses('unauthorized', 'not_found', 'validation_failed') },
      },
    },
    async (request) => found(await getServer(db, { workspaceId: principalOf(request).workspaceId, id: request.params.id }), 'server'),
  )

  app.patch(
    '/v1/servers/:id',
    {
      config: { minRole: 'admin' },
      schema: {
        operationId: 'updateServer',
        summary: 'Change a target server',
        description:
          'Absent fields keep their value; `password: null` removes the stored password. Changing host, port, username or sslmode of a server with a stored password needs the password again (422 otherwise), so a stored password never follows the server to another host.',
        tags,
        security: bearerSecurity,
        params: idParamsSchema,
        body: updateServerSchema,
        response: { 200: serverSchema, ...problemResponses('unauthorized', 'forbidden', 'not_found', 'validation_failed') },
      },
    },
    async (request) => updateServerChecked(deps, principalOf(request).workspaceId, request.params.id, request.body),
  )

  app.delete(
    '/v1/servers/:id',
    {
      config: { minRole: 'admin' },
      schema: {
        operationId: 'deleteServer',
        summary: 'Delete a target server (soft delete)',
        description:
          'The server disappears from reads and can no longer be a restore target; plans and restore records keep referring to it, so history stays complete.',
        tags,
        security: bearerSecurity,
        params: idParamsSchema,
        response: { 204: z.null().describe('Deleted'), ...problemResponses('unauthorized', 'forbidden', 'not_found', 'validation_failed') },
      },
    },
    async (request, reply) => {
      found((await softDeleteServer(db, { workspaceId: principalOf(request).workspaceId, id: request.params.id })) || null, 'server')
      return reply.code(204).send(null)
    },
  )
}
