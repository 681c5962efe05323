// API tokens: issue one, resolve a presented token to its principal (recording its use, at most
// once a minute), and for the admin CLI list a workspace's tokens (never their hashes) and revoke one.
import { timingSafeEqual } from 'node:crypto'
import type { Role } from '@devpilot/contracts'
import { hashApiToken } from '@devpilot/secrets'
import { and, eq, isNull, lt, or, sql } from 'drizzle-orm'
import { type Db, isoTimestamp } from '../client.js'
import { apiTokens, users, workspaces } from '../schema.js'
import { newestFirst } from './pagination.js'

export async function listApiTokens(db: Db, params: { workspaceSlug: string }) {
  const rows = await db
    .select({
      id: apiTokens.id,
      name: apiTokens.name,
      email: users.email,
      role: users.role,
      createdAt: apiTokens.createdAt,
      revokedAt: apiTokens.revokedAt,
    })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .innerJoin(workspaces, eq(workspaces.id, apiTokens.workspaceId))
    .where(eq(workspaces.slug, params.workspaceSlug))
    .orderBy(...newestFirst(apiTokens.createdAt, apiTokens.id))
  return rows.map((r) => ({ ...r, createdAt: isoTimestamp(r.createdAt), revokedAt: isoTimestamp(r.revokedAt) }))
}

/** Revokes a live token of the workspace; false when there is none with that id. */
export async function revokeApiToken(db: Db, params: { workspaceSlug: string; tokenId: string }): Promise<boolean> {
  const rows = await db
    .update(apiTokens)
    .set({ revokedAt: sql`now()` })
    .where(
      and(
        eq(apiTokens.id, params.tokenId),
        isNull(apiTokens.revokedAt),
        eq(apiTokens.workspaceId, sql`(SELECT ${workspaces.id} FROM ${workspaces} WHERE ${workspaces.slug} = ${params.workspaceSlug})`),
      ),
    )
    .returning({ id: apiTokens.id })
  return rows.length > 0
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
