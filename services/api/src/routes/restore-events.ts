// GET /v1/restores/{id}/events: server-sent events of a restore's changes until it is terminal.
// The database announces every insert/update of a restore on channel `restore_changed` (trigger in
// migrations/0001); we LISTEN before reading the first state so no change falls between the read
// and the subscription, re-read the row on each notification for this restore, and send it when
// it differs from the last one sent. Notifications arriving while a read is in flight coalesce into
// one re-read, so a burst of progress updates may show as one event, but every status is sent (a
// status a read jumped over comes from the audit trail); the last event is always the terminal state. Closing the connection only stops the stream, never the restore.
import { idParamsSchema, isTerminalRestoreStatus, type Restore, type RestoreStatus, restoreSchema } from '@devpilot/contracts'
import { getRestore, restoreStatusPath } from '@devpilot/db'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { bearerSecurity, principalOf } from '../auth.js'
import type { AppDeps } from '../deps.js'
import { found } from '../not-found.js'
import { problemResponses } from '../problem.js'

const RESTORE_CHANNEL = 'restore_changed'
const KEEPALIVE_MS = 15_000
const notificationSchema = z.object({ id: z.string(), workspaceId: z.string(), status: z.string() })

/** The restore as it was while in `status` (a status a coalesced read jumped over). */
function stateAt(restore: Restore, status: RestoreStatus): Restore {
  if (status === 'pending') return { ...restore, status, startedAt: null, completedAt: null, error: null }
  return { ...restore, status, completedAt: null, error: null }
}

export const restoreEventRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, deps) => {
  const { db, sql } = deps.database
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
      const id = request.params.id
      let reading: Promise<void> | null = null
      let again = false
      let closed = false
      let lastSent = ''
      let lastStatus: RestoreStatus | null = null
      let streaming = false
      let changedBeforeStart = false
      const log = request.log.child({ restoreId: id })

      const done = () => {
        if (closed) return
        closed = true
        open.delete(done)
        clearInterval(keepalive)
        void subscription.then((s) => s.unlisten()).catch((error: unknown) => log.warn({ err: error }, 'unlisten failed'))
        reply.raw.end()
      }
      const send = (restore: Restore) => {
        const data = JSON.stringify(restoreSchema.parse(restore))
        if (data === lastSent || closed) return
        lastSent = data
        lastStatus = restore.status
        reply.raw.write(`event: restore\nid: ${Date.now()}\ndata: ${data}\n\n`)
        if (isTerminalRestoreStatus(restore.status)) done()
      }
      // Coalesced reads can jump over a status (in_progress lasting less than one read); the audit
      // trail has every transition, so each skipped status is sent as the state it was, in order.
      const sendWithSkippedStatuses = async (restore: Restore) => {
        if (lastStatus !== null && restore.status !== lastStatus) {
          const path = await restoreStatusPath(db, { workspaceId, restoreId: id })
          const skipped = path.slice(path.indexOf(lastStatus) + 1, path.indexOf(restore.status))
          for (const status of skipped) send(stateAt(restore, status))
        }
        send(restore)
      }
      const refresh = (): Promise<void> => {
        if (reading) {
          again = true
          return reading
        }
        reading = (async () => {
          do {
            again = false
            const restore = await getRestore(db, { workspaceId, id })
            if (restore) await sendWithSkippedStatuses(restore)
          } while (again && !closed)
        })()
          .catch((error: unknown) => {
            log.error({ err: error }, 'restore event stream failed')
            done()
          })
          .finally(() => {
            reading = null
          })
        return reading
      }

      // Subscribe first, then read, so a change between the two cannot be missed.
      const subscription = sql.listen(RESTORE_CHANNEL, (payload) => {
        const parsed = notificationSchema.safeParse(JSON.parse(payload))
        if (!parsed.success || parsed.data.id !== id || parsed.data.workspaceId !== workspaceId) return
        // Before the headers are out nothing may be written: remember the change and read after.
        if (streaming) void refresh()
        else changedBeforeStart = true
      })
      const keepalive = setInterval(() => {
        if (!closed) reply.raw.write(': keepalive\n\n')
      }, KEEPALIVE_MS)
      try {
        await subscription
        const first = found(await getRestore(db, { workspaceId, id }), 'restore')
        reply.hijack()
        reply.raw.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-request-id': String(request.id),
          'x-accel-buffering': 'no',
        })
        request.raw.on('close', done)
        open.add(done)
        send(first)
        streaming = true
        if (changedBeforeStart) void refresh()
      } catch (error) {
        closed = true
        clearInterval(keepalive)
        await subscription.then((s) => s.unlisten()).catch(() => {})
        throw error
      }
    },
  )
}
