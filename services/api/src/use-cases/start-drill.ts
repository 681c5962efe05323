// Starting a drill (POST /v1/plans/{id}/drills): a restore of the plan's newest completed backup (or
// the one named) into a new scratch target, verified, dropped afterwards unless `keep`. The record and
// its job are written in one transaction; a plan whose drill is still pending or running answers 409.
import { AppError, type Restore, type StartDrill } from '@devpilot/contracts'
import { getRestore, insertDrill, type Principal, resolveDrill } from '@devpilot/db'
import { enqueueRestoreJob } from '@devpilot/queue'
import type { AppDeps } from '../deps.js'
import { found } from '../not-found.js'

export async function startDrill(deps: AppDeps, principal: Principal, planId: string, body: StartDrill): Promise<Restore> {
  const { db, sql } = deps.database
  const { workspaceId } = principal
  const drill = await resolveDrill(db, {
    workspaceId,
    workspaceSlug: principal.workspaceSlug,
    planId,
    serverId: body.serverId,
    backupId: body.backupId,
    keep: body.keep,
    triggeredByUserId: principal.userId,
    restoreRoots: deps.config.RESTORE_PATH_ROOTS,
    now: new Date(),
  })
  const result = await insertDrill(sql, drill, (tx, restoreId) => enqueueRestoreJob(deps.boss, tx, { restoreId }))
  if (result.kind === 'open') {
    throw new AppError('conflict', 'A drill of this plan is already pending or running; wait for it to finish before starting another.')
  }
  return found(await getRestore(db, { workspaceId, id: result.restoreId }), 'restore')
}
