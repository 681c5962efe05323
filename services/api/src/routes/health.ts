// Liveness and readiness. /healthz answers while the process runs; /readyz also needs the
// database (503 `not_ready` problem while it is unreachable), so a load balancer stops sending
// requests that would fail anyway.
import { AppError, healthSchema } from '@devpilot/contracts'
import { pingDatabase } from '@devpilot/db'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { AppDeps } from '../deps.js'
import { problemResponses } from '../problem.js'

const READY_TIMEOUT_MS = 2_000

export const healthRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, { database }) => {
  app.get(
    '/healthz',
    { schema: { operationId: 'getHealth', summary: 'Liveness', tags: ['operations'], security: [], response: { 200: healthSchema, ...problemResponses() } } },
    async () => ({ status: 'ok' as const }),
  )

  app.get(
    '/readyz',
    {
      schema: {
        operationId: 'getReadiness',
        summary: 'Readiness: the database answers',
        tags: ['operations'],
        security: [],
        response: { 200: healthSchema, ...problemResponses('not_ready') },
      },
    },
    async (request) => {
      try {
        await pingDatabase(database.sql, READY_TIMEOUT_MS)
        return { status: 'ok' as const }
      } catch (error) {
        request.log.warn({ err: error }, 'readiness check failed')
        throw new AppError('not_ready', 'The database is unreachable; try again shortly.')
      }
    },
  )
}
