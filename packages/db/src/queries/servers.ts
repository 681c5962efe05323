// Target servers. The password is encrypted before it reaches SQL and bound to the row id, and
// no query here ever returns the ciphertext except decryptServerPassword (runner only).
import type { SecretBox } from '@devpilot/secrets'
import { sql } from 'drizzle-orm'
import type { Db } from '../client.js'
import { servers } from '../schema.js'

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
