// The event stream of one restore until it is terminal. We LISTEN for restore changes before
// reading the first state so no change falls between the read and the subscription, re-read the
// row on each notification for this restore, and send it when it differs from the last one sent.
// Notifications arriving while a read is in flight coalesce into one re-read, so a burst of
// progress updates may show as one event, but every status is sent (a status a read jumped over
// comes from the audit trail); the last event is always the terminal state. Ending the stream
// (client gone, server closing) only stops the stream, never the restore.
import { isTerminalRestoreStatus, type Restore, type RestoreStatus, restoreSchema } from '@devpilot/contracts'
import { type Db, getRestore, listenRestoreChanges, restoreStatusPath } from '@devpilot/db'
import type { FastifyBaseLogger } from 'fastify'
import { found } from '../not-found.js'

const KEEPALIVE_MS = 15_000

/** Where the events go (the HTTP response, for the route). */
export interface EventOutput {
  /** Called once, before the first event, with the function that ends the stream early. */
  start(end: () => void): void
  write(chunk: string): void
  /** The stream is over (terminal state sent, or ended): close the output. */
  close(end: () => void): void
}

/** The restore as it was while in `status` (a status a coalesced read jumped over). */
function stateAt(restore: Restore, status: RestoreStatus): Restore {
  if (status === 'pending') return { ...restore, status, startedAt: null, completedAt: null, error: null }
  return { ...restore, status, completedAt: null, error: null }
}

/**
 * Subscribes, reads the first state (not_found when the restore is not in the workspace, before
 * anything is written), then starts the output and streams. Resolves once streaming has begun.
 */
export async function streamRestoreEvents(db: Db, params: { workspaceId: string; restoreId: string; log: FastifyBaseLogger }, out: EventOutput): Promise<void> {
  const { workspaceId, restoreId: id, log } = params
  let reading: Promise<void> | null = null
  let again = false
  let closed = false
  let lastSent = ''
  let lastStatus: RestoreStatus | null = null
  let streaming = false
  let changedBeforeStart = false

  const done = () => {
    if (closed) return
    closed = true
    clearInterval(keepalive)
    void subscription.then((s) => s.unlisten()).catch((error: unknown) => log.warn({ err: error }, 'unlisten failed'))
    out.close(done)
  }
  const send = (restore: Restore) => {
    const data = JSON.stringify(restoreSchema.parse(restore))
    if (data === lastSent || closed) return
    lastSent = data
    lastStatus = restore.status
    out.write(`event: restore\nid: ${Date.now()}\ndata: ${data}\n\n`)
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
  const subscription = listenRestoreChanges(db, (change) => {
    if (change.id !== id || change.workspaceId !== workspaceId) return
    // Before the output started nothing may be written: remember the change and read after.
    if (streaming) void refresh()
    else changedBeforeStart = true
  })
  const keepalive = setInterval(() => {
    if (!closed) out.write(': keepalive\n\n')
  }, KEEPALIVE_MS)
  try {
    await subscription
    const first = found(await getRestore(db, { workspaceId, id }), 'restore')
    out.start(done)
    send(first)
    streaming = true
    if (changedBeforeStart) void refresh()
  } catch (error) {
    closed = true
    clearInterval(keepalive)
    await subscription.then((s) => s.unlisten()).catch(() => {})
    throw error
  }
}
