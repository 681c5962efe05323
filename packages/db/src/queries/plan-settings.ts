// Plan writes that carry a plan's verification checks and drill schedule. Exception to the drizzle
// idiom of this package, like insertPendingRestore: they run on a postgres.js transaction because
// the plan's pg-boss drill schedule is written into the same transaction (packages/queue
// syncDrillSchedule), so a plan never says it is scheduled while the queue does not, or the reverse.
import type { DrillSchedule, PlanMode, PlanVerification } from '@devpilot/contracts'
import type postgres from 'postgres'

export interface PlanSettings {
  verification?: PlanVerification | null
  drillSchedule?: DrillSchedule | null
}

export type NewPlanWithSettings = PlanSettings &
  (
    | { workspaceId: string; name: string; type: 'database'; sourceServerId: string | null; sourceDatabase: string; destinationId: string; mode: PlanMode }
    | { workspaceId: string; name: string; type: 'files'; sourcePath: string; destinationId: string; mode: PlanMode }
  )

/** JSON text for a jsonb column (postgres.js serialises only `json`-typed parameters itself). */
function json(value: object | null | undefined): string | null {
  return value ? JSON.stringify(value) : null
}

/** Inserts a plan with its settings inside the caller's transaction; returns its id. */
export async function insertPlanWithSettings(tx: postgres.TransactionSql, input: NewPlanWithSettings): Promise<string> {
  const [row] = await tx<{ id: string }[]>`
    INSERT INTO plans (workspace_id, name, type, mode, destination_id, source_server_id, source_database, source_path, verification, drill_schedule)
    VALUES (${input.workspaceId}, ${input.name}, ${input.type}, ${input.mode}, ${input.destinationId},
            ${input.type === 'database' ? input.sourceServerId : null}, ${input.type === 'database' ? input.sourceDatabase : null},
            ${input.type === 'files' ? input.sourcePath : null}, ${json(input.verification)}::jsonb, ${json(input.drillSchedule)}::jsonb)
    RETURNING id`
  if (!row) throw new Error('plan insert returned nothing')
  return row.id
}

/**
 * Sets the given fields of a plan (undefined: unchanged, null: cleared) inside the caller's
 * transaction, locking the row; false when the workspace has no such plan.
 */
export async function updatePlanSettings(
  tx: postgres.TransactionSql,
  params: { workspaceId: string; id: string; patch: PlanSettings & { name?: string } },
): Promise<boolean> {
  const { patch } = params
  const rows = await tx<{ id: string }[]>`
    UPDATE plans SET
      name = ${patch.name !== undefined ? patch.name : tx`name`},
      verification = ${patch.verification !== undefined ? tx`${json(patch.verification)}::jsonb` : tx`verification`},
      drill_schedule = ${patch.drillSchedule !== undefined ? tx`${json(patch.drillSchedule)}::jsonb` : tx`drill_schedule`}
    WHERE id = ${params.id} AND workspace_id = ${params.workspaceId}
    RETURNING id`
  return rows.length === 1
}
