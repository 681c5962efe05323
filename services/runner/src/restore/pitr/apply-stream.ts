// The point-in-time step of a database restore: after the base snapshot was restored into the
// staging database, replay the plan's change stream into it up to the restore's target moment.
// The segments and their destinations are read by the caller (run-restore.ts) and passed in.
// Segments are opened one at a time from their destination, verified (sha256) and gunzipped while
// streaming; the staging database is swapped in only after this returns, so any failure here
// leaves the target as it was.
import { createInterface } from 'node:readline'
import { PassThrough, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import { isAppError, microsToIso, toMicros } from '@devpilot/contracts'
import type { RunDestination, StoredSegment } from '@devpilot/db'
import type postgres from 'postgres'
import { restoreError } from '../../errors.js'
import type { Logger } from '../../logger.js'
import { type OpenDeps, openDestinationObject } from '../../sources/open-artifact.js'
import { VerifyingCounter } from '../../sources/verify.js'
import { connectTarget, type TargetServer } from '../pg-target.js'
import { ReplayError, type ReplayResult, type ReplaySegment, replayToMoment } from './replay.js'
import { advanceOwnedSequences } from './sequences.js'

export interface StreamReplayParams {
  /** The segments to replay in LSN order, starting with the one that holds the snapshot LSN. */
  segments: readonly StoredSegment[]
  /** The destination of each segment by id; null when it no longer exists. */
  destinations: ReadonlyMap<string, RunDestination | null>
  targetTime: string
  snapshotLsn: string
  server: TargetServer
  stagingDatabase: string
  openDeps: OpenDeps
  /** Called with the bytes read from segments so far (progress). */
  onBytes(segmentBytes: number): void
  /** Secrets opened sources need scrubbed from messages. */
  secrets: string[]
  log: Logger
}

/** zlib's errors carry a Z_* code (Z_DATA_ERROR, Z_BUF_ERROR for a stream that ends early, ...). */
function isZlibError(error: unknown): error is Error & { code: string } {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' && error.code.startsWith('Z_')
}

/**
 * A decompression error is the segment's fault, whichever side of the pipeline reports it first
 * (the pipeline itself, or the line reader whose input it destroyed): segment_corrupt, naming it.
 */
function segmentFailure(segment: StoredSegment, error: unknown): unknown {
  if (isAppError(error)) return error
  if (segment.compression === 'gzip' && isZlibError(error)) {
    return restoreError(
      'segment_corrupt',
      `The stream segment ${segment.artifactKey} is not valid gzip or ends early (${error.message}). The target was not changed.`,
      error,
    )
  }
  return error
}

/**
 * Lines of one segment. The bytes pass the sha256 verifier before gunzip. When replay stops early
 * (the target was reached inside this segment) the rest is still drained, and `verified` holds the
 * outcome, so the caller checks every opened segment's checksum before anything is swapped in.
 */
async function* segmentLines(
  open: () => Promise<Readable>,
  segment: StoredSegment,
  onBytes: (n: number) => void,
  verified: Array<Promise<void>>,
): AsyncGenerator<string> {
  const raw = await open()
  const out = new PassThrough()
  const verifier = new VerifyingCounter(segment.sha256, onBytes)
  const done = pipeline(segment.compression === 'gzip' ? [raw, verifier, createGunzip(), out] : [raw, verifier, out]).catch((error: unknown) => {
    throw segmentFailure(segment, error)
  })
  done.catch(() => {})
  verified.push(done)
  const lines = createInterface({ input: out, crlfDelay: Number.POSITIVE_INFINITY })
  let finished = false
  try {
    try {
      for await (const line of lines) yield line
    } catch (error) {
      throw segmentFailure(segment, error)
    }
    finished = true
  } finally {
    if (!finished) {
      lines.close()
      out.resume()
    }
  }
  await done
}

/**
 * The stream already holds what the source's triggers did, so triggers must not fire again during
 * replay (an audit trigger would insert twice, an updated_at trigger would stamp restore time).
 * `session_replication_role = replica` does that for the session (superuser); otherwise each
 * enabled user trigger of the staging database is disabled for the replay and enabled again after.
 */
async function suspendUserTriggers(sql: postgres.Sql, log: Logger): Promise<() => Promise<void>> {
  try {
    await sql`SET session_replication_role = replica`
    return async () => {
      await sql`RESET session_replication_role`
    }
  } catch {
    const triggers = await sql<{ tbl: string; trigger: string }[]>`
      SELECT format('%I.%I', n.nspname, c.relname) AS tbl, quote_ident(tg.tgname) AS trigger
      FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE NOT tg.tgisinternal AND tg.tgenabled = 'O'`
    log.info({ triggers: triggers.length }, 'not a superuser: disabling user triggers of the staging database for the replay')
    for (const t of triggers) await sql.unsafe(`ALTER TABLE ${t.tbl} DISABLE TRIGGER ${t.trigger}`)
    return async () => {
      for (const t of triggers) await sql.unsafe(`ALTER TABLE ${t.tbl} ENABLE TRIGGER ${t.trigger}`)
    }
  }
}

export async function replayStreamIntoStaging(params: StreamReplayParams): Promise<ReplayResult> {
  const { segments, log } = params
  let bytesBefore = 0
  const verified: Array<Promise<void>> = []
  const replaySegments: ReplaySegment[] = segments.map((segment) => ({
    name: segment.artifactKey,
    startLsn: segment.startLsn,
    endLsn: segment.endLsn,
    open: () => {
      const base = bytesBefore
      bytesBefore += segment.sizeBytes ?? 0
      return segmentLines(
        async () => {
          const destination = params.destinations.get(segment.destinationId)
          if (!destination) throw restoreError('destination_unavailable', `The destination of stream segment ${segment.artifactKey} no longer exists.`)
          const { artifact, secrets } = await openDestinationObject(destination, segment.artifactKey, params.openDeps)
          params.secrets.push(...secrets)
          log.info({ segment: segment.artifactKey, startLsn: segment.startLsn, endLsn: segment.endLsn }, 'replaying a stream segment')
          return artifact.stream
        },
        segment,
        (n) => params.onBytes(base + n),
        verified,
      )
    },
  }))

  const sql = await connectTarget(params.server, params.stagingDatabase)
  let result: ReplayResult
  try {
    const restoreTriggers = await suspendUserTriggers(sql, log)
    result = await replayToMoment({ sql, snapshotLsn: params.snapshotLsn, targetTime: params.targetTime, segments: replaySegments })
    // A segment replay stopped inside was drained to its end: its checksum decides before the swap.
    await Promise.all(verified)
    await restoreTriggers()
    await advanceOwnedSequences(sql, log).catch((error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error)
      throw restoreError('restore_tool_failed', `The sequences of the replayed tables could not be advanced (${reason}). The target was not changed.`, error)
    })
  } catch (error) {
    if (error instanceof ReplayError) throw restoreError(error.code, `${error.message}. The target was not changed.`, error)
    throw error
  } finally {
    await sql.end({ timeout: 5 })
  }
  if (!result.stoppedAtTarget) {
    // Replay ran out of segments without seeing a transaction past the moment: the stream must at
    // least reach it, or transactions up to the moment may be missing.
    const last = segments.at(-1)
    if (!last || toMicros(last.lastCommitAt) < toMicros(params.targetTime)) {
      throw restoreError(
        'stream_gap',
        `The change stream from the snapshot at ${params.snapshotLsn} ${last ? `ends at ${last.endLsn} (last commit ${last.lastCommitAt})` : 'has no segment'}, before the target moment ${microsToIso(toMicros(params.targetTime))}; a segment is missing. The target was not changed.`,
      )
    }
  }
  log.info(
    { transactions: result.transactions, changes: result.changes, appliedLsn: result.appliedLsn, appliedCommitAt: result.appliedCommitAt },
    'stream replayed',
  )
  return result
}
