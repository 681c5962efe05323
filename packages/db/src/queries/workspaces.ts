// Workspaces, users and API tokens: the tenancy and identity every other query is scoped by.
import { timingSafeEqual } from 'node:crypto'
import type { Role } from '@devpilot/contracts'
import { hashApiToken } from '@devpilot/secrets'
import { and, count, eq, isNull, lt, or, sql } from 'drizzle-orm'
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
  /** When the token was last used, at most TOKEN_TOUCH_SECONDS stale; null before its first use. */
  lastUsedAt: string | null
}

/** `lastUsedAt` is written at most once per this many seconds per token, not on every request. */
export const TOKEN_TOUCH_SECONDS = 60

/** Resolves a presented bearer token to its user and workspace; null for unknown or revoked tokens. */
export async function findPrincipalByToken(db: Db, token: string): Promise<Principal | null> {
  const presented = hashApiToken(token)
  const [row] = await db
    .select({
      tokenId: apiTokens.id,
      tokenHash: apiTokens.tokenHash,
      lastUsedAt: apiTokens.lastUsedAt,
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
    .where(and(eq(apiTokens.tokenHash, presented), isNull(apiTokens.revokedAt)))
  // The index lookup is by sha256, so its timing says nothing about the token; the final
  // comparison is constant-time all the same.
  if (!row || !hashesEqual(row.tokenHash, presented)) return null
  const { tokenHash: _hash, ...principal } = row
  return principal
}

function hashesEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex')
  const y = Buffer.from(b, 'hex')
  return x.length === y.length && timingSafeEqual(x, y)
}

/** Records that a token was used, unless it already was within TOKEN_TOUCH_SECONDS (one write, whatever the traffic). */
export async function touchApiToken(db: Db, tokenId: string): Promise<void> {
  await db
    .update(apiTokens)
    .set({ lastUsedAt: sql`now()` })
    .where(
      and(eq(apiTokens.id, tokenId), or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, sql`now() - make_interval(secs => ${TOKEN_TOUCH_SECONDS})`))),
    )
}
