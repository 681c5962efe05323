// Preflight checks a runner stores on the restore it owns (`checks`, shown on the record). Guarded
// by ownership like every runner write: a runner that lost the restore writes nothing.
import type { PreflightCheck } from '@devpilot/contracts'
import type { Db } from '../client.js'
import { restores } from '../schema.js'
import { type Ownership, ownedBy } from './runner-predicates.js'

/** Replaces the stored preflight checks; false when this attempt no longer owns the restore. */
export async function recordRestoreChecks(db: Db, params: Ownership & { checks: PreflightCheck[] }): Promise<boolean> {
  const rows = await db.update(restores).set({ checks: params.checks }).where(ownedBy(params)).returning({ id: restores.id })
  return rows.length > 0
}
