// One way to open the product database: postgres.js with UTC sessions and quiet notices, wrapped
// by drizzle with the schema. Callers own the returned handle and must close() it.
import { drizzle } from 'drizzle-orm/postgres-js'
import postgres from 'postgres'
import * as schema from './schema.js'

export type Sql = postgres.Sql
export type Db = ReturnType<typeof createDrizzle>

function createDrizzle(sql: Sql) {
  return drizzle({ client: sql, schema })
}

export interface Database {
  sql: Sql
  db: Db
  close(): Promise<void>
}

export interface DatabaseOptions {
  max?: number
  applicationName?: string
}

export function openDatabase(url: string, options: DatabaseOptions = {}): Database {
  const sql = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    // postgres.js waits up to 20 s between reconnects after repeated failures, so during an outage
    // every request would hang that long before its 503; reconnect at least once a second instead.
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 1),
    connection: { TimeZone: 'UTC', application_name: options.applicationName ?? 'devpilot-restore' },
    // Keep numeric/int8 as text unless a column says otherwise; drizzle maps bigint columns itself.
  })
  return { sql, db: createDrizzle(sql), close: () => sql.end({ timeout: 5 }) }
}

/** PostgreSQL's timestamptz text (UTC session) as ISO-8601 UTC, keeping microseconds. */
export function isoTimestamp(value: string): string
export function isoTimestamp(value: string | null): string | null
export function isoTimestamp(value: string | null): string | null {
  if (value === null) return null
  const iso = value.replace(' ', 'T').replace(/([+-]00(:?00)?)$/, 'Z')
  return iso.endsWith('Z') ? iso : new Date(value).toISOString()
}
