// The effective target of a new restore: the request's fields, else the plan's source. It must
// exist in the workspace, fit the plan's kind (database: a live server and a database; files: a
// path) and, for a path, stay inside this workspace's folder under RESTORE_PATH_ROOTS.
import { AppError, type StartRestore, workspaceRoots } from '@devpilot/contracts'
import { getPlan, getServer } from '@devpilot/db'
import type { AppDeps } from '../deps.js'
import { fieldError } from '../field-error.js'
import { found } from '../not-found.js'
import { requireUnderRoots } from '../path-roots.js'

export interface EffectiveTarget {
  targetServerId: string | null
  targetDatabase: string | null
  targetPath: string | null
}

export async function resolveTarget(
  deps: AppDeps,
  workspace: { workspaceId: string; workspaceSlug: string },
  planId: string,
  body: Pick<StartRestore, 'targetServerId' | 'targetDatabase' | 'targetPath'>,
): Promise<EffectiveTarget> {
  const { db } = deps.database
  const { workspaceId } = workspace
  const plan = found(await getPlan(db, { workspaceId, id: planId }), 'plan')
  if (plan.type === 'database') {
    if (body.targetPath) throw fieldError('targetPath', 'a database backup restores into a server and database, not a path')
    let serverId: string | null
    if (body.targetServerId) {
      if (!(await getServer(db, { workspaceId, id: body.targetServerId }))) throw fieldError('targetServerId', 'no such server in this workspace')
      serverId = body.targetServerId
    } else {
      // The plan's source server may have been deleted since: then there is no default to fall back on.
      serverId = plan.sourceServerId && (await getServer(db, { workspaceId, id: plan.sourceServerId })) ? plan.sourceServerId : null
    }
    const database = body.targetDatabase ?? plan.sourceDatabase
    if (!serverId) throw new AppError('target_required', "No target server: give targetServerId (the plan's source server is not set or was deleted).")
    return { targetServerId: serverId, targetDatabase: database, targetPath: null }
  }
  if (body.targetServerId) throw fieldError('targetServerId', 'a files backup restores into a path, not a server')
  if (body.targetDatabase) throw fieldError('targetDatabase', 'a files backup restores into a path, not a database')
  const path = body.targetPath ?? plan.sourcePath
  if (!path) throw new AppError('target_required', 'No target path: give targetPath.')
  return {
    targetServerId: null,
    targetDatabase: null,
    targetPath: requireUnderRoots(
      'targetPath',
      path,
      workspaceRoots(deps.config.RESTORE_PATH_ROOTS, workspace.workspaceSlug),
      `this workspace's folder under RESTORE_PATH_ROOTS`,
    ),
  }
}
