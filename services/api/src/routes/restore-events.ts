// GET /v1/restores/{id}/events: server-sent events of a restore's changes until it is terminal.
// The stream itself (subscription, coalesced re-reads, skipped statuses) is events/restore-event-stream.ts;
// this route authenticates, writes the SSE headers and ends open streams when the server closes.
import { idParamsSchema } from '@devpilot/contracts'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { bearerSecurity, principalOf } from '../auth.js'
import type { AppDeps } from '../deps.js'
import { streamRestoreEvents } from '../events/restore-event-stream.js'
import { problemResponses } from '../problem.js'

export const restoreEventRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, deps) => {
  const { db } = deps.database
  // Open streams, ended on shutdown so a long-lived stream never holds the server open.
  const open = new Set<() => void>()
  app.addHook('preClose', async () => {
    for (const end of open) end()
  })

  app.get(
    '/v1/restores/:id/events',
    {
      schema: {
        operationId: 'streamRestoreEvents',
        summary: "Follow a restore's status and progress (server-sent events)",
        description:
          'A `text/event-stream`. Each event is `event: restore` with the full Restore as JSON `data`; the first is the current state, the stream ends after the terminal state (completed or failed).',
        tags: ['restores'],
        security: bearerSecurity,
        params: idParamsSchema,
        response: {
          200: {
            description: 'Event stream; each `data` line is a Restore as JSON.',
            content: { 'text/event-stream': { schema: z.string() } },
          },
          ...problemResponses('unauthorized', 'not_found', 'validation_failed'),
        },
      },
    },
    async (request, reply) => {
      const { workspaceId } = principalOf(request)
      await streamRestoreEvents(
        db,
        { workspaceId, restoreId: request.params.id, log: request.log.child({ restoreId: request.params.id }) },
        {
          start(end) {
            reply.hijack()
            reply.raw.writeHead(200, {
              'content-type': 'text/event-stream; charset=utf-8',
              'cache-control': 'no-cache, no-transform',
              connection: 'keep-alive',
              'x-request-id': String(request.id),
              'x-accel-buffering': 'no',
            })
            request.raw.on('close', end)
            open.add(end)
          },
          write: (chunk) => reply.raw.write(chunk),
          close(end) {
            open.delete(end)
            reply.raw.end()
          },
        },
      )
    },
  )
}
