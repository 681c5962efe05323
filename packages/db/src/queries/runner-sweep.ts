// Finders for restores that need a job: in_progress ones whose runner went silent (the sweeper
// queues a take-over or declares them lost), pending ones no live job will pick up, and the next
// pending restore of a target that was just freed.
import { RESTORE_STATUS } from '@devpilot/contracts'
import { and, eq, isNotNull, isNull, ne, notInArray, or, sql } from 'drizzle-orm'
import { alias } from 'drizzle-orm/pg-core'
import type { Db } from '../client.js'
import { restores } from '../schema.js'
import { hasStatus } from './restore-status.js'
import { runnerSilent } from './runner-predicates.js'

export interface StaleRestore {
  id: string
  attempt: number
  runnerId: string | null
  targetServerId: string | null
  targetDatabase: string | null
  targetPath: string | null
}

/** in_progress restores whose runner has been silent for longer than lostAfterSeconds. */
export async function findStaleRestores(db: Db, params: { lostAfterSeconds: number; limit: number }): Promise<StaleRestore[]> {
  return db
    .select({
      id: restores.id,
      attempt: restores.attempt,
      runnerId: restores.runnerId,
      targetServerId: restores.targetServerId,
      targetDatabase: restores.targetDatabase,
      targetPath: restores.targetPath,
    })
    .from(restores)
    .where(and(hasStatus(RESTORE_STATUS.in_progress), runnerSilent(params.lostAfterSeconds)))
    .orderBy(sql`${restores.heartbeatAt} NULLS FIRST`)
    .limit(params.limit)
}

/**
 * Pending restores older than `olderThanSeconds` that no live queue job will pick up (the job's
 * retries ran out while the product database was down, or it was deleted): they would otherwise
 * wait in pending forever. The caller reads `withLiveJob` from the queue (packages/queue
 * liveRestoreJobIds) BEFORE calling this, so a restore whose job exists is never reported.
 */
export async function findOrphanedPendingRestores(
  db: Db,
  params: { olderThanSeconds: number; limit: number; withLiveJob: readonly string[] },
): Promise<string[]> {
  const rows = await db
    .select({ id: restores.id })
    .from(restores)
    .where(
      and(
        hasStatus(RESTORE_STATUS.pending),
        sql`${restores.createdAt} < now() - make_interval(secs => ${params.olderThanSeconds})`,
        params.withLiveJob.length > 0 ? notInArray(restores.id, [...params.withLiveJob]) : undefined,
      ),
    )
    .orderBy(restores.createdAt)
    .limit(params.limit)
  return rows.map((r) => r.id)
}

/** The oldest pending restore of the same target as `restoreId` (to wake it when the target frees up). */
export async function nextPendingRestoreForTarget(db: Db, restoreId: string): Promise<string | null> {
  const next = alias(restores, 'n')
  const [row] = await db
    .select({ id: next.id })
    .from(restores)
    .innerJoin(
      next,
      and(
        hasStatus(RESTORE_STATUS.pending, next.status),
        ne(next.id, restores.id),
        or(
          and(isNotNull(restores.targetPath), eq(next.targetPath, restores.targetPath)),
          and(isNull(restores.targetPath), eq(next.targetServerId, restores.targetServerId), eq(next.targetDatabase, restores.targetDatabase)),
        ),
      ),
    )
    .where(eq(restores.id, restoreId))
    .orderBy(next.createdAt, next.id)
    .limit(1)
  return row?.id ?? null
}
