// Cancelling a restore (POST /v1/restores/{id}/cancel). The request is stored in the database, so
// whichever runner holds the restore sees it (its heartbeat reads it) and a restart loses nothing.
// A pending restore fails at once; a running one stops before its swap; a finished one is 409.
import { AppError, type Restore } from '@devpilot/contracts'
import { getRestore, type Principal, requestRestoreCancel } from '@devpilot/db'
import type { AppDeps } from '../deps.js'
import { found } from '../not-found.js'

export async function cancelRestore(deps: AppDeps, principal: Principal, restoreId: string): Promise<Restore> {
  const { db } = deps.database
  const { workspaceId } = principal
  const outcome = await requestRestoreCancel(db, { workspaceId, restoreId })
  if (outcome === 'not_found') found(null, 'restore')
  const restore = found(await getRestore(db, { workspaceId, id: restoreId }), 'restore')
  if (outcome === 'finished') {
    throw new AppError('restore_finished', `This restore already ended (${restore.status}); there is nothing to cancel.`)
  }
  return restore
}
