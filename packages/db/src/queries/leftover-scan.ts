// What the runner's sweep of target servers for leftover staging databases reads: every server
// still on record (across workspaces, like the other runner sweeps), and the restores a leftover's
// name can belong to. A leftover is named with the first 12 hex digits of its restore's id, so the
// restores are found by id range on the primary key, never by a scan of the table.
import type { RestoreStatus, SslMode } from '@devpilot/contracts'
import { and, between, eq, isNull, or } from 'drizzle-orm'
import type { Db } from '../client.js'
import { restores, servers } from '../schema.js'

export interface ScannableServer {
  id: string
  host: string
  port: number
  username: string
  passwordCiphertext: string | null
  maintenanceDatabase: string
  sslmode: SslMode
  deleted: boolean
}

export interface LeftoverOwner {
  id: string
  status: RestoreStatus
  attempt: number
  targetDatabase: string | null
}

/** Servers that are not deleted, in a stable order (a deleted server is no longer ours to connect to). */
export async function listScannableServers(db: Db, params: { limit: number }): Promise<ScannableServer[]> {
  const rows = await db
    .select({
      id: servers.id,
      host: servers.host,
      port: servers.port,
      username: servers.username,
      passwordCiphertext: servers.passwordCiphertext,
      maintenanceDatabase: servers.maintenanceDatabase,
      sslmode: servers.sslmode,
    })
    .from(servers)
    .where(isNull(servers.deletedAt))
    .orderBy(servers.id)
    .limit(params.limit)
  return rows.map((row) => ({ ...row, deleted: false }))
}

/** The uuid range of every id whose first 12 hex digits are `shortId`. */
function idRange(shortId: string): [string, string] {
  const head = `${shortId.slice(0, 8)}-${shortId.slice(8, 12)}`
  return [`${head}-0000-0000-000000000000`, `${head}-ffff-ffff-ffffffffffff`]
}

/** Restores into a database of `serverId` whose id starts with one of the 12-hex `shortIds`. */
export async function findLeftoverOwners(db: Db, params: { serverId: string; shortIds: readonly string[] }): Promise<Map<string, LeftoverOwner[]>> {
  const byShortId = new Map<string, LeftoverOwner[]>()
  const shortIds = [...new Set(params.shortIds)].filter((s) => /^[0-9a-f]{12}$/.test(s))
  if (shortIds.length === 0) return byShortId
  const rows = await db
    .select({ id: restores.id, status: restores.status, attempt: restores.attempt, targetDatabase: restores.targetDatabase })
    .from(restores)
    .where(and(eq(restores.targetServerId, params.serverId), or(...shortIds.map((s) => between(restores.id, ...idRange(s))))))
  for (const row of rows) {
    const short = row.id.replace(/-/g, '').slice(0, 12)
    byShortId.set(short, [...(byShortId.get(short) ?? []), row])
  }
  return byShortId
}
