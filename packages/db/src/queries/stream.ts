// A real-time plan's change stream: segment registration (refusing overlaps, which would make a
// transaction replay twice), the segments and base snapshots the window is computed from, and
// what the runner reads to replay.
import { AppError, type CreateStreamSegment, type StreamSegment, type WindowSnapshot } from '@devpilot/contracts'
import { and, asc, eq, isNotNull, sql } from 'drizzle-orm'
import { type Db, isoTimestamp } from '../client.js'
import { backups, plans, streamSegments } from '../schema.js'
import { advisoryXactLock } from './advisory-locks.js'

const segmentColumns = {
  id: streamSegments.id,
  planId: streamSegments.planId,
  destinationId: streamSegments.destinationId,
  artifactKey: streamSegments.artifactKey,
  startLsn: streamSegments.startLsn,
  endLsn: streamSegments.endLsn,
  firstCommitAt: streamSegments.firstCommitAt,
  lastCommitAt: streamSegments.lastCommitAt,
  sizeBytes: streamSegments.sizeBytes,
  sha256: streamSegments.sha256,
  compression: streamSegments.compression,
  createdAt: streamSegments.createdAt,
}
type SegmentRow = typeof streamSegments.$inferSelect

export type StoredSegment = StreamSegment & { destinationId: string }

function toSegment(row: Pick<SegmentRow, keyof typeof segmentColumns>): StoredSegment {
  return {
    ...row,
    firstCommitAt: isoTimestamp(row.firstCommitAt),
    lastCommitAt: isoTimestamp(row.lastCommitAt),
    createdAt: isoTimestamp(row.createdAt),
  }
}

/** Registers a segment of the plan's stream; 409 `conflict` when it overlaps one already registered. */
export async function insertStreamSegment(
  db: Db,
  params: { workspaceId: string; planId: string; destinationId: string; segment: CreateStreamSegment },
): Promise<StoredSegment> {
  const s = params.segment
  return db.transaction(async (tx) => {
    // Serialise registrations per plan so two overlapping segments cannot both pass the check.
    await advisoryXactLock(tx, `stream:${params.planId}`)
    const overlapping = await tx
      .select({ id: streamSegments.id, startLsn: streamSegments.startLsn, endLsn: streamSegments.endLsn })
      .from(streamSegments)
      .where(
        and(
          eq(streamSegments.planId, params.planId),
          sql`${streamSegments.startLsn} < ${s.endLsn}::pg_lsn`,
          sql`${streamSegments.endLsn} > ${s.startLsn}::pg_lsn`,
        ),
      )
      .limit(1)
    const clash = overlapping[0]
    if (clash) {
      throw new AppError(
        'conflict',
        `The segment [${s.startLsn}, ${s.endLsn}) overlaps the registered segment [${clash.startLsn}, ${clash.endLsn}); segments of a plan must not overlap.`,
      )
    }
    const [row] = await tx
      .insert(streamSegments)
      .values({
        workspaceId: params.workspaceId,
        planId: params.planId,
        destinationId: params.destinationId,
        artifactKey: s.artifactKey,
        startLsn: s.startLsn,
        endLsn: s.endLsn,
        firstCommitAt: s.firstCommitAt,
        lastCommitAt: s.lastCommitAt,
        sizeBytes: s.sizeBytes ?? null,
        sha256: s.sha256 ?? null,
        compression: s.compression,
      })
      .returning(segmentColumns)
    if (!row) throw new Error('segment insert returned nothing')
    return toSegment(row)
  })
}

/** Every segment of the plan in LSN order. */
export async function listStreamSegments(db: Db, params: { workspaceId: string; planId: string }): Promise<StoredSegment[]> {
  const rows = await db
    .select(segmentColumns)
    .from(streamSegments)
    .where(and(eq(streamSegments.workspaceId, params.workspaceId), eq(streamSegments.planId, params.planId)))
    .orderBy(asc(streamSegments.startLsn))
  return rows.map(toSegment)
}

/** Completed base snapshots of the plan (custom-format dumps that carry an LSN), oldest first. */
export async function listStreamSnapshots(db: Db, params: { workspaceId: string; planId: string }): Promise<WindowSnapshot[]> {
  const rows = await db
    .select({ backupId: backups.id, snapshotLsn: backups.snapshotLsn, completedAt: backups.completedAt })
    .from(backups)
    .innerJoin(plans, eq(plans.id, backups.planId))
    .where(
      and(
        eq(backups.workspaceId, params.workspaceId),
        eq(backups.planId, params.planId),
        eq(backups.status, 'completed'),
        eq(backups.format, 'pg_custom'),
        isNotNull(backups.snapshotLsn),
        isNotNull(backups.completedAt),
      ),
    )
    .orderBy(asc(backups.completedAt))
  return rows.flatMap((r) =>
    r.snapshotLsn && r.completedAt ? [{ backupId: r.backupId, snapshotLsn: r.snapshotLsn, completedAt: isoTimestamp(r.completedAt) }] : [],
  )
}
