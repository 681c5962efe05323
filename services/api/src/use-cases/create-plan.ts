// Creating a plan: its destination and (for database plans) source server must be live rows of
// the caller's workspace; anything else is a 422 naming the field, the same for "elsewhere" and "nowhere".
import type { CreatePlan, Plan } from '@devpilot/contracts'
import { createPlan, getDestination, getServer } from '@devpilot/db'
import type { AppDeps } from '../deps.js'
import { fieldError } from '../field-error.js'

export async function createPlanChecked(deps: AppDeps, workspaceId: string, input: CreatePlan): Promise<Plan> {
  const { db } = deps.database
  if (!(await getDestination(db, { workspaceId, id: input.destinationId }))) throw fieldError('destinationId', 'no such destination in this workspace')
  if (input.type === 'database' && input.sourceServerId && !(await getServer(db, { workspaceId, id: input.sourceServerId }))) {
    throw fieldError('sourceServerId', 'no such server in this workspace')
  }
  return createPlan(db, { workspaceId, input })
}
