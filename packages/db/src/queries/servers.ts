// Target servers. The password is encrypted before it reaches SQL and bound to the row id, and
// no query here ever returns the ciphertext except decryptServerPassword (runner only). Deleting
// is soft (deleted_at): plans and restore history keep pointing at the row.
import type { CreateServer, Page, Server, ServerEngine, SslMode, UpdateServer } from '@devpilot/contracts'
import type { SecretBox } from '@devpilot/secrets'
import { and, eq, isNull, sql } from 'drizzle-orm'
import type { Db } from '../client.js'
import { isoTimestamp } from '../client.js'
import { servers } from '../schema.js'
import { afterCursor, newestFirst, type PageParams, toPage } from './pagination.js'

export interface NewServer {
  workspaceId: string
  name: string
  host: string
  port?: number
  username: string
  password?: string | null
  maintenanceDatabase?: string
  sslmode?: string
}

export async function insertServer(db: Db, box: SecretBox, input: NewServer) {
  const id = crypto.randomUUID()
  const [row] = await db
    .insert(servers)
    .values({
      id,
      workspaceId: input.workspaceId,
      name: input.name,
      host: input.host,
      port: input.port ?? 5432,
      username: input.username,
      passwordCiphertext: input.password ? box.encrypt(input.password, `server:${id}`) : null,
      maintenanceDatabase: input.maintenanceDatabase ?? 'postgres',
      sslmode: input.sslmode ?? 'prefer',
    })
    .returning({ id: servers.id })
  if (!row) throw new Error('server insert returned nothing')
  return row
}

export function encryptServerPassword(box: SecretBox, serverId: string, password: string): string {
  return box.encrypt(password, `server:${serverId}`)
}

export function decryptServerPassword(box: SecretBox, serverId: string, ciphertext: string): string {
  return box.decrypt(ciphertext, `server:${serverId}`)
}

/** Raw column value, for tests that prove the plaintext never reaches the table. */
export async function rawServerPasswordColumn(db: Db, serverId: string): Promise<string | null> {
  const rows = await db.execute<{ password_ciphertext: string | null }>(sql`SELECT password_ciphertext FROM servers WHERE id = ${serverId}`)
  return rows[0]?.password_ciphertext ?? null
}

const serverColumns = {
  id: servers.id,
  name: servers.name,
  engine: servers.engine,
  host: servers.host,
  port: servers.port,
  username: servers.username,
  maintenanceDatabase: servers.maintenanceDatabase,
  sslmode: servers.sslmode,
  hasPassword: sql<boolean>`${servers.passwordCiphertext} IS NOT NULL`,
  createdAt: servers.createdAt,
}
function selectServers(db: Db) {
  return db.select(serverColumns).from(servers)
}
type ServerRow = Awaited<ReturnType<typeof selectServers>>[number]

function toServer(row: ServerRow): Server {
  return { ...row, engine: row.engine as ServerEngine, sslmode: row.sslmode as SslMode, createdAt: isoTimestamp(row.createdAt) }
}

const live = (workspaceId: string) => and(eq(servers.workspaceId, workspaceId), isNull(servers.deletedAt))

export async function listServers(db: Db, params: { workspaceId: string } & PageParams): Promise<Page<Server>> {
  const rows = await selectServers(db)
    .where(and(live(params.workspaceId), afterCursor(servers.createdAt, servers.id, params.cursor)))
    .orderBy(...newestFirst(servers.createdAt, servers.id))
    .limit(params.limit + 1)
  return toPage(rows, params.limit, toServer)
}

/** A live (not deleted) server of the workspace, or null. */
export async function getServer(db: Db, params: { workspaceId: string; id: string }): Promise<Server | null> {
  const [row] = await selectServers(db).where(and(live(params.workspaceId), eq(servers.id, params.id)))
  return row ? toServer(row) : null
}

export async function createServer(db: Db, box: SecretBox, params: { workspaceId: string; input: CreateServer }): Promise<Server> {
  const { input } = params
  const id = crypto.randomUUID()
  const [row] = await db
    .insert(servers)
    .values({
      id,
      workspaceId: params.workspaceId,
      name: input.name,
      engine: input.engine,
      host: input.host,
      port: input.port,
      username: input.username,
      passwordCiphertext: input.password ? encryptServerPassword(box, id, input.password) : null,
      maintenanceDatabase: input.maintenanceDatabase,
      sslmode: input.sslmode,
    })
    .returning(serverColumns)
  if (!row) throw new Error('server insert returned nothing')
  return toServer(row)
}

export async function updateServer(db: Db, box: SecretBox, params: { workspaceId: string; id: string; patch: UpdateServer }): Promise<Server | null> {
  const { patch } = params
  const [row] = await db
    .update(servers)
    .set({
      name: patch.name,
      host: patch.host,
      port: patch.port,
      username: patch.username,
      maintenanceDatabase: patch.maintenanceDatabase,
      sslmode: patch.sslmode,
      ...(patch.password === undefined ? {} : { passwordCiphertext: patch.password === null ? null : encryptServerPassword(box, params.id, patch.password) }),
      updatedAt: sql`now()`,
    })
    .where(and(live(params.workspaceId), eq(servers.id, params.id)))
    .returning(serverColumns)
  return row ? toServer(row) : null
}

/** Soft delete; false when there is no live server with that id in the workspace. */
export async function softDeleteServer(db: Db, params: { workspaceId: string; id: string }): Promise<boolean> {
  const rows = await db
    .update(servers)
    .set({ deletedAt: sql`now()` })
    .where(and(live(params.workspaceId), eq(servers.id, params.id)))
    .returning({ id: servers.id })
  return rows.length > 0
}
