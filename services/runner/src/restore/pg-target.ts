// The target PostgreSQL server of a database restore: libpq settings for the tools (password in
// the environment, never argv), an admin connection on the maintenance database, identifier
// quoting for the utility statements that cannot take parameters (CREATE/ALTER DATABASE), and the
// recognisable names of a restore's staging and old databases.
import type { SslMode } from '@devpilot/contracts'
import postgres from 'postgres'
import { restoreError } from '../errors.js'
import { scrubSecrets } from '../scrub.js'
import { restoreShortId } from './short-id.js'

export interface TargetServer {
  host: string
  port: number
  username: string
  password: string | null
  maintenanceDatabase: string
  sslmode: SslMode
}

const APP_NAME = 'devpilot-restore-runner'

/** libpq environment for pg_restore/psql; the database goes in a conninfo argument (see conninfoDbname). */
export function libpqEnv(server: TargetServer): Record<string, string> {
  return {
    PGHOST: server.host,
    PGPORT: String(server.port),
    PGUSER: server.username,
    ...(server.password ? { PGPASSWORD: server.password } : {}),
    PGSSLMODE: server.sslmode,
    PGCONNECT_TIMEOUT: '10',
    PGAPPNAME: APP_NAME,
  }
}

/** `dbname='…'` conninfo, so a database name containing `=` is never parsed as a connection string. */
export function conninfoDbname(database: string): string {
  return `dbname='${database.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`
}

function sslOption(mode: SslMode): boolean | 'require' | 'allow' | 'prefer' | 'verify-full' {
  if (mode === 'disable') return false
  if (mode === 'verify-ca' || mode === 'verify-full') return 'verify-full'
  return mode
}

/** Opens and checks a single connection; any failure is target_unreachable with a scrubbed reason. */
export async function connectTarget(server: TargetServer, database: string): Promise<postgres.Sql> {
  const sql = postgres({
    host: server.host,
    port: server.port,
    user: server.username,
    ...(server.password ? { password: server.password } : {}),
    database,
    ssl: sslOption(server.sslmode),
    max: 1,
    connect_timeout: 10,
    idle_timeout: 60,
    onnotice: () => {},
    connection: { application_name: APP_NAME },
  })
  try {
    await sql`SELECT 1`
    return sql
  } catch (error) {
    await sql.end({ timeout: 1 }).catch(() => {})
    const reason = scrubSecrets(error instanceof Error ? error.message : String(error), server.password ? [server.password] : [])
    throw restoreError(
      'target_unreachable',
      `Could not connect to the target server ${server.host}:${server.port} (database ${database}) as ${server.username}: ${reason}`,
      error,
    )
  }
}

/** Cuts a string to at most `bytes` UTF-8 bytes without splitting a character. */
function truncateBytes(value: string, bytes: number): string {
  let out = ''
  for (const ch of value) {
    if (Buffer.byteLength(out + ch) > bytes) break
    out += ch
  }
  return out
}

/** Staging/old database names of one attempt; recognisable by the `__restore_<id>` / `__old_<id>` suffix. */
export function stagingDatabaseNames(target: string, restoreId: string, attempt: number): { staging: string; old: string } {
  const prefix = truncateBytes(target, 32)
  const short = restoreShortId(restoreId)
  return { staging: `${prefix}__restore_${short}_${attempt}`, old: `${prefix}__old_${short}` }
}

/** Regex matching every leftover database of a restore, for cleanup after a crash. */
export function leftoverDatabasePattern(restoreId: string): string {
  const short = restoreShortId(restoreId)
  return `__(restore_${short}_[0-9]+|old_${short})$`
}

/** The comment a staging database carries into the swap, so a takeover can tell the swap already happened. */
export function swapMarker(restoreId: string): string {
  return `devpilot-restore:${restoreId}`
}

/** Regex matching the leftover databases of any restore (the short id in group 2 or 4). */
export const ANY_LEFTOVER_DATABASE_PATTERN = '__(restore_([0-9a-f]{12})_([0-9]+)|old_([0-9a-f]{12}))$'

/** A leftover database name taken apart: whose (short id), and which kind (the staging of attempt n, or the old target). */
export function parseLeftoverDatabase(name: string): { shortId: string; kind: 'staging'; attempt: number } | { shortId: string; kind: 'old' } | null {
  const match = new RegExp(ANY_LEFTOVER_DATABASE_PATTERN).exec(name)
  if (!match) return null
  if (match[2] !== undefined && match[3] !== undefined) return { shortId: match[2], kind: 'staging', attempt: Number(match[3]) }
  if (match[4] !== undefined) return { shortId: match[4], kind: 'old' }
  return null
}
