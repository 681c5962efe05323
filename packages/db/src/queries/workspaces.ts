// Workspaces and users: the tenancy every other query is scoped by (tokens: api-tokens.ts).
import type { Role } from '@devpilot/contracts'
import { and, count, eq } from 'drizzle-orm'
import type { Db } from '../client.js'
import { users, workspaces } from '../schema.js'
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
