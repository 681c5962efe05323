// Workspaces, users and API tokens: the tenancy and identity every other query is scoped by.
import type { Role } from '@devpilot/contracts'
import { hashApiToken } from '@devpilot/secrets'
import { and, count, eq, isNull } from 'drizzle-orm'
import type { Db } from '../client.js'
import { apiTokens, users, workspaces } from '../schema.js'
import { advisoryXactLock } from './advisory-locks.js'

export async function findOrCreateWorkspace(db: Db, params: { slug: string; name?: string }) {
  const [created] = await db
    .insert(workspaces)
    .values({ slug: params.slug, name: params.name ?? params.slug })
    .onConflictDoNothing({ target: workspaces.slug })
    .returning({ id: workspaces.id, slug: workspaces.slug })
  if (created) return { ...created, created: true }
  const [existing] = await db.select({ id: workspaces.id, slug: workspaces.slug }).from(workspaces).where(eq(workspaces.slug, params.slug))
  if (!existing) throw new Error(`workspace ${params.slug} vanished while being created`)
  return { ...existing, created: false }
}

/** Finds the user by email or creates it; the first user of a workspace defaults to admin, later ones to viewer. */
export async function findOrCreateUser(db: Db, params: { workspaceId: string; email: string; role?: Role }) {
  const email = params.email.trim().toLowerCase()
  return db.transaction(async (tx) => {
    // Serialise user creation per workspace so "first user" is decided once.
    await advisoryXactLock(tx, params.workspaceId)
    const [existing] = await tx
      .select({ id: users.id, email: users.email, role: users.role })
      .from(users)
      .where(and(eq(users.workspaceId, params.workspaceId), eq(users.email, email)))
    if (existing) {
      if (params.role && params.role !== existing.role) {
        await tx.update(users).set({ role: params.role }).where(eq(users.id, existing.id))
        return { ...existing, role: params.role, created: false }
      }
      return { ...existing, created: false }
    }
    const [{ n } = { n: 0 }] = await tx.select({ n: count() }).from(users).where(eq(users.workspaceId, params.workspaceId))
    const role: Role = params.role ?? (n === 0 ? 'admin' : 'viewer')
    const [user] = await tx
      .insert(users)
      .values({ workspaceId: params.workspaceId, email, role })
      .returning({ id: users.id, email: users.email, role: users.role })
    if (!user) throw new Error('user insert returned nothing')
    return { ...user, created: true }
  })
}

export async function insertApiToken(db: Db, params: { workspaceId: string; userId: string; tokenHash: string; name?: string }) {
  const [row] = await db
    .insert(apiTokens)
    .values({ workspaceId: params.workspaceId, userId: params.userId, tokenHash: params.tokenHash, name: params.name ?? null })
    .returning({ id: apiTokens.id })
  if (!row) throw new Error('token insert returned nothing')
  return row ?? null
}

export interface Principal {
  tokenId: string
  userId: string
  email: string
  role: Role
  workspaceId: string
  workspaceSlug: string
  workspaceName: string
}

/** Resolves a presented bearer token to its user and workspace; null for unknown or revoked tokens. */
export async function findPrincipalByToken(db: Db, token: string): Promise<Principal | null> {
  const [row] = await db
    .select({
      tokenId: apiTokens.id,
      userId: users.id,
      email: users.email,
      role: users.role,
      workspaceId: workspaces.id,
      workspaceSlug: workspaces.slug,
      workspaceName: workspaces.name,
    })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .innerJoin(workspaces, eq(workspaces.id, apiTokens.workspaceId))
    .where(and(eq(apiTokens.tokenHash, hashApiToken(token)), isNull(apiTokens.revokedAt)))
  return row ?? null
}
