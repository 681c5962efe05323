// Token administration for the admin CLI: list a workspace's tokens (never their hashes) and revoke one.
import { and, eq, isNull, sql } from 'drizzle-orm'
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
