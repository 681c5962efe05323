// How run-restore.ts reaches partial restores with a few lines: the database driver bound to the
// record's selection, and the writer of the preflight checks a partial restore records.
import type { PreflightCheck, RestoreInclude } from '@devpilot/contracts'
import { type Db, type Ownership, upsertRestoreCheck } from '@devpilot/db'
import type { DatabaseRestoreParams, DatabaseRestoreResult } from '../postgres.js'
import { restorePartialDatabase } from './partial-database.js'

/** A recordCheck that adds (or replaces by name) one check beside the preflight's (guarded by ownership). */
export function checkRecorder(db: Db, ownership: Ownership): (check: PreflightCheck) => Promise<void> {
  return async (check) => {
    await upsertRestoreCheck(db, { ...ownership, check })
  }
}

/** The database driver for a partial restore, with the same parameters as restoreDatabase. */
export function partialDatabase(
  include: RestoreInclude,
  targetSchema: string | null,
  recordCheck: (check: PreflightCheck) => Promise<void>,
): (params: DatabaseRestoreParams) => Promise<DatabaseRestoreResult> {
  return (params) => restorePartialDatabase({ ...params, include, targetSchema, recordCheck })
}
