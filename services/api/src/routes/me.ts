// GET /v1/me: the token's user and workspace.
import { meSchema } from '@devpilot/contracts'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { bearerSecurity, principalOf } from '../auth.js'
import type { AppDeps } from '../deps.js'
import { problemResponses } from '../problem.js'

export const meRoutes: FastifyPluginAsyncZod<AppDeps> = async (app) => {
  app.get(
    '/v1/me',
    {
      schema: {
        operationId: 'getMe',
        summary: "The token's user and workspace",
        tags: ['me'],
        security: bearerSecurity,
        response: { 200: meSchema, ...problemResponses('unauthorized') },
      },
    },
    async (request) => {
      const p = principalOf(request)
      return { user: { id: p.userId, email: p.email, role: p.role }, workspace: { id: p.workspaceId, slug: p.workspaceSlug, name: p.workspaceName } }
    },
  )
}
