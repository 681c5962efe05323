// The conditions the runner's queries share, written once: which attempt owns a running restore,
// and when its runner counts as gone silent. Ownership is the pair (runner_id, attempt), which
// fences off a runner that was presumed lost and came back.
import { RESTORE_STATUS } from '@devpilot/contracts'
import { type SQL, sql } from 'drizzle-orm'
import { restores } from '../schema.js'
import { hasStatus } from './restore-status.js'

export interface Ownership {
  restoreId: string
  runnerId: string
  attempt: number
}

/** The restore is in_progress and held by exactly this attempt of this runner. */
export function ownedBy(o: Ownership): SQL {
  return sql`${restores.id} = ${o.restoreId} AND ${hasStatus(RESTORE_STATUS.in_progress)} AND ${restores.runnerId} = ${o.runnerId} AND ${restores.attempt} = ${o.attempt}`
}

/** Its runner sent no heartbeat for longer than `lostAfterSeconds` (or never sent one). */
export function runnerSilent(lostAfterSeconds: number): SQL {
  return sql`(${restores.heartbeatAt} IS NULL OR ${restores.heartbeatAt} < now() - make_interval(secs => ${lostAfterSeconds}))`
}

/** The attempt the caller saw is still in_progress and its runner has gone silent (take-over, runner_lost). */
export function silentAttempt(p: { restoreId: string; seenAttempt: number; lostAfterSeconds: number }): SQL {
  return sql`${restores.id} = ${p.restoreId} AND ${hasStatus(RESTORE_STATUS.in_progress)} AND ${restores.attempt} = ${p.seenAttempt} AND ${runnerSilent(p.lostAfterSeconds)}`
}
