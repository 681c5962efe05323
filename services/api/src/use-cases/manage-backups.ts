// Registering and moving backups (the producer's integration). A backup's format must fit its
// plan's type; status moves forward only (pending -> in_progress -> completed | failed |
// cancelled) and a terminal backup keeps its status, though size, sha256 and error may be corrected.
// Manual plans and uploaded backups are the upload path's alone (upload-backup.ts).
import { AppError, BACKUP_TRANSITIONS, type Backup, type CreateBackup, planTypeOfFormat, type UpdateBackup } from '@devpilot/contracts'
import { getBackup, getPlan, insertBackup, updateBackup } from '@devpilot/db'
import type { AppDeps } from '../deps.js'
import { fieldError } from '../field-error.js'
import { found } from '../not-found.js'

export async function registerBackup(deps: AppDeps, workspaceId: string, input: CreateBackup): Promise<Backup> {
  const { db } = deps.database
  const plan = await getPlan(db, { workspaceId, id: input.planId })
  if (!plan) throw fieldError('planId', 'no such plan in this workspace')
  if (planTypeOfFormat(input.format) !== plan.type) throw fieldError('format', `${input.format} is not a format of a ${plan.type} plan`)
  if (plan.mode === 'manual') throw fieldError('planId', 'a manual plan takes backups only from uploads (POST /v1/plans/{id}/uploads)')
  if (input.manifest) {
    if (plan.type !== 'database') throw fieldError('manifest', 'a manifest counts table rows and belongs to database backups only')
    const seen = new Set<string>()
    for (const table of input.manifest.tables) {
      const name = JSON.stringify([table.schema, table.name])
      if (seen.has(name)) throw fieldError('manifest.tables', `${table.schema}.${table.name} is listed twice`)
      seen.add(name)
    }
  }
  const { id } = await insertBackup(db, { workspaceId, ...input })
  return found(await getBackup(db, { workspaceId, id }), 'backup')
}

export async function moveBackup(deps: AppDeps, workspaceId: string, id: string, patch: UpdateBackup): Promise<Backup> {
  const { db } = deps.database
  const current = found(await getBackup(db, { workspaceId, id }), 'backup')
  // An upload becomes restorable only through the runner's validation, never by a PATCH.
  if (current.source === 'upload') throw new AppError('conflict', 'An uploaded backup is moved by its validation only; it cannot be updated.')
  const allowed: readonly string[] = BACKUP_TRANSITIONS[current.status]
  if (patch.status !== undefined && !allowed.includes(patch.status)) {
    throw new AppError('conflict', `A ${current.status} backup cannot become ${patch.status}.`)
  }
  const updated = await updateBackup(db, { workspaceId, id, expectedStatus: current.status, patch })
  // Zero rows: another producer changed the status between our read and our update.
  if (!updated) throw new AppError('conflict', 'The backup changed while this update was applied; read it again and retry.')
  return updated
}
