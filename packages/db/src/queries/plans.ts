// Backup plans: what is backed up (a server's database or a path), how, and where to.
import type { PlanMode } from '@devpilot/contracts'
import type { Db } from '../client.js'
import { plans } from '../schema.js'

export type NewPlan =
  | { workspaceId: string; name: string; type: 'database'; sourceServerId: string | null; sourceDatabase: string; destinationId: string; mode?: PlanMode }
  | { workspaceId: string; name: string; type: 'files'; sourcePath: string; destinationId: string; mode?: PlanMode }

export async function insertPlan(db: Db, input: NewPlan) {
  const [row] = await db
    .insert(plans)
    .values({
      workspaceId: input.workspaceId,
      name: input.name,
      type: input.type,
      mode: input.mode ?? 'scheduled',
      destinationId: input.destinationId,
      sourceServerId: input.type === 'database' ? input.sourceServerId : null,
      sourceDatabase: input.type === 'database' ? input.sourceDatabase : null,
      sourcePath: input.type === 'files' ? input.sourcePath : null,
    })
    .returning({ id: plans.id })
  if (!row) throw new Error('plan insert returned nothing')
  return row
}
