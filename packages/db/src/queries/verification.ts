// What the runner writes about a restore's verification (DESIGN.md "Verification"): the stage while
// it runs and its outcome, before the swap and so before the record turns terminal (terminal rows are
// frozen). Both are guarded by ownership like every other runner write.
import type { RestoreVerification } from '@devpilot/contracts'
import type { Db } from '../client.js'
import { restores } from '../schema.js'
import { type Ownership, ownedBy } from './runner-predicates.js'

/** progress.stage = verify while the checks run; false when this runner no longer owns the restore. */
export async function markVerifying(db: Db, params: Ownership): Promise<boolean> {
  const rows = await db.update(restores).set({ stage: 'verify' }).where(ownedBy(params)).returning({ id: restores.id })
  return rows.length === 1
}

/** Stores the verification outcome; false when this runner no longer owns the restore. */
export async function recordVerification(db: Db, params: Ownership & { verification: RestoreVerification }): Promise<boolean> {
  // Invariant: only the owning attempt writes the outcome, and only while in_progress.
  const rows = await db.update(restores).set({ verification: params.verification }).where(ownedBy(params)).returning({ id: restores.id })
  return rows.length === 1
}
