// Real-time plans: change-stream segments as the producer registers them, the restorable window,
// and the body that starts a point-in-time restore. Commit times keep microseconds.
import { z } from 'zod'
import { streamCompressionSchema } from '../enums.js'
import { toMicros } from '../pitr-time.js'
import { databaseNameSchema, idSchema, timestampSchema } from './common.js'

export const lsnSchema = z
  .string()
  .regex(/^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/, 'must be a PostgreSQL LSN like 0/1924858')
  .describe('WAL position (pg_lsn), e.g. `0/1924858`.')

const microTimestamp = z.iso
  .datetime({ offset: true })
  .refine((value) => {
    try {
      toMicros(value)
      return true
    } catch {
      return false
    }
  }, 'at most microsecond precision')
  .describe('ISO-8601 timestamp; up to microseconds are kept.')

export const createStreamSegmentSchema = z
  .object({
    artifactKey: z.string().min(1).max(1024).describe("Object key of the segment in the plan's destination."),
    startLsn: lsnSchema.describe('Where the segment begins: the end of the previous segment, or the base snapshot for the first.'),
    endLsn: lsnSchema.describe('Where the segment ends (exclusive); the next segment begins here.'),
    firstCommitAt: microTimestamp,
    lastCommitAt: microTimestamp,
    sizeBytes: z.number().int().min(0).nullable().optional(),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters')
      .nullable()
      .optional(),
    compression: streamCompressionSchema.default('none'),
  })
  .strict()
  .meta({ id: 'StreamSegmentCreate' })
export type CreateStreamSegment = z.infer<typeof createStreamSegmentSchema>

export const streamSegmentSchema = z
  .object({
    id: idSchema,
    planId: idSchema,
    artifactKey: z.string(),
    startLsn: z.string(),
    endLsn: z.string(),
    firstCommitAt: timestampSchema,
    lastCommitAt: timestampSchema,
    sizeBytes: z.number().int().nullable(),
    sha256: z.string().nullable(),
    compression: streamCompressionSchema,
    createdAt: timestampSchema,
  })
  .meta({ id: 'StreamSegment' })
export type StreamSegment = z.infer<typeof streamSegmentSchema>

export const restorableIntervalSchema = z
  .object({
    from: timestampSchema,
    to: timestampSchema,
    baseBackupId: idSchema.describe('The base snapshot a restore to a moment in this interval starts from.'),
  })
  .meta({ id: 'RestorableInterval' })

export const planStreamSchema = z
  .object({
    planId: idSchema,
    earliestRestorableAt: timestampSchema.nullable(),
    latestRestorableAt: timestampSchema.nullable(),
    snapshots: z.array(z.object({ backupId: idSchema, snapshotLsn: z.string(), completedAt: timestampSchema }).meta({ id: 'StreamSnapshot' })),
    segmentCount: z.number().int(),
    gaps: z.array(z.object({ afterLsn: z.string(), beforeLsn: z.string() }).meta({ id: 'StreamGap' })),
    intervals: z.array(restorableIntervalSchema).describe('Every restorable interval; a moment is restorable when one contains it (inclusive).'),
  })
  .meta({ id: 'PlanStream' })
export type PlanStream = z.infer<typeof planStreamSchema>

export const startPointInTimeRestoreSchema = z
  .object({
    targetTime: microTimestamp.describe('The moment to restore to, inclusive: every transaction committed at or before it is applied.'),
    targetServerId: idSchema.nullable().optional().describe("Default the plan's source server."),
    targetDatabase: databaseNameSchema.nullable().optional().describe("Default the plan's source database."),
    overwrite: z.boolean().default(false),
    dryRun: z.boolean().default(false).describe('Preview only: checks, change list, base snapshot and segments; the target is never touched.'),
    verify: z.boolean().default(true).describe('false skips verification (the record says `skipped`).'),
  })
  .strict()
  .meta({ id: 'PointInTimeRestoreStart' })
export type StartPointInTimeRestore = z.infer<typeof startPointInTimeRestoreSchema>
