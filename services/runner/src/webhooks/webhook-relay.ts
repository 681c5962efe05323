// The relay from the webhook outbox (webhook_messages, written by a trigger in the transaction of
// each restore status change) to the delivery queue. For each undispatched message it builds the
// body from the restore as it was at the event, then, in ONE transaction, locks the message (SKIP
// LOCKED: relays of several runners never dispatch one twice), freezes the body, marks it
// dispatched and enqueues its job. A crash anywhere leaves the message undispatched for the next
// pass. Woken by NOTIFY from the trigger, with a poll as backstop.
import {
  type Db,
  listenWebhookMessages,
  lockUndispatchedWebhookMessages,
  markWebhookMessageDispatched,
  restoreFromSnapshot,
  undispatchedWebhookMessages,
} from '@devpilot/db'
import { enqueueWebhookJob, type WebhookRetryPolicy } from '@devpilot/queue'
import type { PgBoss } from 'pg-boss'
import type { Logger } from '../logger.js'

const BATCH = 50
const POLL_MS = 5_000

export interface WebhookRelay {
  /** One pass now (also what NOTIFY and the poll trigger); resolves when the outbox is drained. */
  runNow(): Promise<void>
  stop(): Promise<void>
}

/** One batch: returns how many undispatched messages it saw. */
async function relayBatch(db: Db, boss: PgBoss, retry: WebhookRetryPolicy, log: Logger): Promise<number> {
  const messages = await undispatchedWebhookMessages(db, BATCH)
  if (messages.length === 0) return 0
  const bodies = new Map<string, string>()
  for (const message of messages) {
    const restore = await restoreFromSnapshot(db, message.restoreSnapshot)
    if (restore === null) throw new Error(`webhook message ${message.id}: its restore snapshot does not read as a restore`)
    bodies.set(message.id, JSON.stringify({ type: message.event, timestamp: message.occurredAt, data: { restore } }))
  }
  const dispatched = await db.$client.begin(async (tx) => {
    const locked = await lockUndispatchedWebhookMessages(tx, [...bodies.keys()])
    for (const id of locked) {
      await markWebhookMessageDispatched(tx, { id, body: bodies.get(id) as string })
      await enqueueWebhookJob(boss, tx, { messageId: id }, retry)
    }
    return locked.length
  })
  if (dispatched > 0) log.debug({ dispatched }, 'webhook messages queued for delivery')
  return messages.length
}

export function startWebhookRelay(deps: { db: Db; boss: PgBoss; retry: WebhookRetryPolicy; log: Logger }): WebhookRelay {
  const { db, boss, retry, log } = deps
  let running: Promise<void> | null = null
  let again = false
  let stopped = false

  const drain = async () => {
    do {
      again = false
      try {
        while ((await relayBatch(db, boss, retry, log)) === BATCH && !stopped) {}
      } catch (error) {
        // The messages stay undispatched; the next NOTIFY or poll tries again.
        log.error({ err: error }, 'webhook relay pass failed; retrying at the next poll')
        return
      }
    } while (again && !stopped)
  }
  const kick = (): Promise<void> => {
    if (stopped) return Promise.resolve()
    if (running) {
      again = true
      return running
    }
    running = drain().finally(() => {
      running = null
    })
    return running
  }

  const timer = setInterval(() => void kick(), POLL_MS)
  const subscription = listenWebhookMessages(db, () => void kick())
  subscription.catch((error: unknown) => log.error({ err: error }, 'LISTEN for webhook messages failed; relying on the poll'))
  void kick()

  return {
    runNow: kick,
    async stop() {
      stopped = true
      clearInterval(timer)
      await subscription.then((s) => s.unlisten()).catch(() => {})
      await running
    },
  }
}
