// Cancel requests (POST /v1/restores/{id}/cancel). A pending restore is failed with `cancelled` in
// one guarded update, so a job arriving later finds it terminal and does nothing. A running one
// gets `cancel_requested_at` (set once, never moved: the 0006 trigger), which its runner reads with
// every heartbeat; whether it still stops is decided by the runner at the swap (restore-heartbeat.ts).
import { RESTORE_STATUS } from '@devpilot/contracts'
import { and, eq, sql } from 'drizzle-orm'
import type { Db } from '../client.js'
import { restores } from '../schema.js'
import { hasStatus } from './restore-status.js'

export type CancelOutcome = 'cancelled' | 'requested' | 'finished' | 'not_found'

const CANCELLED_PENDING_MESSAGE = 'Cancelled on request before it started; the target was not touched.'

export async function requestRestoreCancel(db: Db, params: { workspaceId: string; restoreId: string }): Promise<CancelOutcome> {
  const mine = and(eq(restores.id, params.restoreId), eq(restores.workspaceId, params.workspaceId))
  // Invariant: only a pending restore fails here; once claimed it is its runner's to stop.
  const failed = await db
    .update(restores)
    .set({
      status: RESTORE_STATUS.failed,
      startedAt: sql`now()`,
      completedAt: sql`now()`,
      cancelRequestedAt: sql`now()`,
      errorCode: 'cancelled',
      errorMessage: CANCELLED_PENDING_MESSAGE,
    })
    .where(and(mine, hasStatus(RESTORE_STATUS.pending)))
    .returning({ id: restores.id })
  if (failed.length === 1) return 'cancelled'
  // Invariant: a running restore keeps its first cancel request (asking twice changes nothing).
  const requested = await db
    .update(restores)
    .set({ cancelRequestedAt: sql`COALESCE(${restores.cancelRequestedAt}, now())` })
    .where(and(mine, hasStatus(RESTORE_STATUS.in_progress)))
    .returning({ id: restores.id })
  if (requested.length === 1) return 'requested'
  // Neither pending nor running: terminal (a pending restore cannot come back), or not ours.
  const [row] = await db.select({ id: restores.id }).from(restores).where(mine)
  return row ? 'finished' : 'not_found'
}
