// A restore status in SQL, named by contracts' RESTORE_STATUS rather than spelled out.
import type { RestoreStatus } from '@devpilot/contracts'
import { type SQL, sql } from 'drizzle-orm'
import type { PgColumn } from 'drizzle-orm/pg-core'
import { restores } from '../schema.js'

/**
 * `status = '<status>'` with the value written into the statement rather than bound, so the
 * planner can match the partial indexes on in_progress rows (a bound parameter cannot).
 */
export function hasStatus(status: RestoreStatus, column: PgColumn = restores.status): SQL {
  return sql`${column} = ${sql.raw(`'${status}'`)}`
}
