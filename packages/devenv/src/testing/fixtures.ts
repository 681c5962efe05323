// Builds the rows most tests start from — a workspace with a user and a token, a local
// destination, a database plan on a registered server, a completed backup — through the same
// query functions the product uses.
import type { BackupFormat, BackupStatus, Role } from '@devpilot/contracts'
import { type Db, findOrCreateUser, findOrCreateWorkspace, insertApiToken, insertBackup, insertDestination, insertPlan, insertServer } from '@devpilot/db'
import { createSecretBox, generateApiToken, generateSecretsKey, type SecretBox } from '@devpilot/secrets'
import { uniqueName } from './databases.js'

export interface SeededWorkspace {
  workspaceId: string
  slug: string
  userId: string
  email: string
  token: string
}

export function testSecretBox(): { key: string; box: SecretBox } {
  const key = generateSecretsKey()
  return { key, box: createSecretBox(key) }
}

export async function seedWorkspace(db: Db, options: { slug?: string; role?: Role; email?: string } = {}): Promise<SeededWorkspace> {
  const slug = options.slug ?? uniqueName('ws')
  const workspace = await findOrCreateWorkspace(db, { slug })
  return seedUser(db, { workspaceId: workspace.id, slug, role: options.role ?? 'admin', email: options.email ?? `admin@${slug}.test` })
}

export async function seedUser(db: Db, options: { workspaceId: string; slug: string; role: Role; email: string }): Promise<SeededWorkspace> {
  const user = await findOrCreateUser(db, { workspaceId: options.workspaceId, email: options.email, role: options.role })
  const { token, hash } = generateApiToken()
  await insertApiToken(db, { workspaceId: options.workspaceId, userId: user.id, tokenHash: hash, name: 'test' })
  return { workspaceId: options.workspaceId, slug: options.slug, userId: user.id, email: user.email, token }
}

export interface SeededBackup {
  serverId: string
  destinationId: string
  planId: string
  backupId: string
}

/** A server, a local destination, a database plan and one backup of it, in one workspace. */
export async function seedDatabaseBackup(
  db: Db,
  box: SecretBox,
  params: {
    workspaceId: string
    destinationPath: string
    server?: { host: string; port: number; username: string; password: string }
    sourceDatabase?: string
    format?: BackupFormat
    status?: BackupStatus
    artifactKey?: string
  },
): Promise<SeededBackup> {
  const server = await insertServer(db, box, {
    workspaceId: params.workspaceId,
    name: 'primary',
    host: params.server?.host ?? '127.0.0.1',
    port: params.server?.port ?? 5432,
    username: params.server?.username ?? 'postgres',
    password: params.server?.password ?? 'secret',
  })
  const destination = await insertDestination(db, box, { workspaceId: params.workspaceId, name: 'local', type: 'local', path: params.destinationPath })
  const plan = await insertPlan(db, {
    workspaceId: params.workspaceId,
    name: 'nightly',
    type: 'database',
    sourceServerId: server.id,
    sourceDatabase: params.sourceDatabase ?? 'app',
    destinationId: destination.id,
  })
  const backup = await insertBackup(db, {
    workspaceId: params.workspaceId,
    planId: plan.id,
    format: params.format ?? 'pg_custom',
    artifactKey: params.artifactKey ?? 'app.dump',
    status: params.status ?? 'completed',
  })
  return { serverId: server.id, destinationId: destination.id, planId: plan.id, backupId: backup.id }
}

/** A workspace with an admin, an operator and a viewer, each with a token. */
export async function seedTeam(
  db: Db,
): Promise<{ workspaceId: string; slug: string; admin: SeededWorkspace; operator: SeededWorkspace; viewer: SeededWorkspace }> {
  const admin = await seedWorkspace(db)
  const member = (role: Role) => seedUser(db, { workspaceId: admin.workspaceId, slug: admin.slug, role, email: `${role}@${admin.slug}.test` })
  return { workspaceId: admin.workspaceId, slug: admin.slug, admin, operator: await member('operator'), viewer: await member('viewer') }
}
