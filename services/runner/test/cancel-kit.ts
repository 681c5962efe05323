// Shared by the cancel tests: the harness with two real runner processes, the slow-restore kit,
// and the cancel as the API stores it (packages/db requestRestoreCancel, which POST
// /v1/restores/{id}/cancel calls), plus the assertions every cancelled running restore must meet.
import { requestRestoreCancel } from '@devpilot/db'
import { spawnService, type Teardown, testEnv } from '@devpilot/devenv/testing'
import type t from 'tap'
import { createHarness } from './harness.js'
import { slowRestoreKit } from './slow-restore.js'
import { trustRecord } from './trust-kit.js'

type Tap = Pick<typeof t, 'equal' | 'match' | 'ok' | 'not' | 'comment'>

export async function createCancelKit(tap: Teardown) {
  const env = testEnv()
  const h = await createHarness(tap)
  const server1 = await h.server(env.DEVPILOT_TEST_PG_URL)
  const destination = await h.localDestination()
  const kit = await slowRestoreKit(tap, h, server1, destination)
  for (const id of ['cancel-a', 'cancel-b']) {
    const runner = spawnService('runner', h.runnerEnv({ RUNNER_ID: id }))
    tap.teardown(() => runner.child.kill('SIGKILL'))
    // Generous: two runners compile their TypeScript at once on a loaded machine.
    await runner.ready(300_000)
  }
  const cancel = (restoreId: string) => requestRestoreCancel(h.db.db, { workspaceId: h.ws.workspaceId, restoreId })

  /** Cancels a running restore (twice); it must end failed/cancelled before any swap. */
  async function cancelAndWait(t: Tap, id: string) {
    const requestedAt = Date.now()
    t.equal(await cancel(id), 'requested', 'a running restore gets a cancel request')
    t.equal(await cancel(id), 'requested', 'asking twice is fine')
    const row = await h.waitTerminal(id, 60_000)
    const latencyMs = Date.now() - requestedAt
    t.equal(row.status, 'failed')
    t.equal(row.error_code, 'cancelled', row.error_message ?? '')
    t.match(row.error_message, /target was not changed/)
    t.comment(`cancel to failed: ${latencyMs} ms on runner ${row.runner_id}`)
    // The runner reads the request with its heartbeat (every 0.8 s here); generous for a loaded machine.
    t.ok(latencyMs < 20_000, `stopped ${latencyMs} ms after the request`)
    const state = await trustRecord(h, id)
    t.ok(state.cancel_requested_at, 'cancelRequestedAt is kept')
    t.not(state.stage, 'swap', 'it never entered the swap')
    return row
  }
  return { env, h, server1, destination, kit, cancel, cancelAndWait }
}
