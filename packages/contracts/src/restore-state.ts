// The restore state machine (DESIGN.md): pending -> in_progress -> completed | failed, and
// pending -> failed. Terminal states never change. migrations/ enforces the same rules with CHECK
// constraints and a trigger; this copy lets code reason about them without a round trip.
import type { RestoreStatus } from './enums.js'

export const RESTORE_TRANSITIONS: Readonly<Record<RestoreStatus, readonly RestoreStatus[]>> = {
  pending: ['in_progress', 'failed'],
  in_progress: ['completed', 'failed'],
  completed: [],
  failed: [],
}

export const TERMINAL_RESTORE_STATUSES: readonly RestoreStatus[] = ['completed', 'failed']

export function isTerminalRestoreStatus(status: RestoreStatus): boolean {
  return TERMINAL_RESTORE_STATUSES.includes(status)
}

export function canTransitionRestore(from: RestoreStatus, to: RestoreStatus): boolean {
  return RESTORE_TRANSITIONS[from].includes(to)
}
