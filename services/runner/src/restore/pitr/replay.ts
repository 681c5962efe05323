// Replays a wal2json change stream into a database, transaction by transaction, up to a moment.
// Each source transaction is applied in exactly one target transaction; replay stops at the
// first transaction that committed after the target time (as PostgreSQL's own
// recovery_target_time does), so the result is the source as it was at that moment. Lines are
// streamed: memory holds one line plus a bounded window of pipelined statements.

import { isAppError, lsnToBigInt, microsToIso, toMicros } from '@devpilot/contracts'
import type postgres from 'postgres'
import { columnText, columnTypeSql, parseWal2jsonLine, SegmentLineError, type Wal2jsonColumn, type Wal2jsonLine } from './wal2json.js'

export type ReplayErrorCode = 'segment_corrupt' | 'stream_gap' | 'restore_tool_failed'

export class ReplayError extends Error {
  readonly code: ReplayErrorCode
  constructor(code: ReplayErrorCode, message: string) {
    super(message)
    this.name = 'ReplayError'
    this.code = code
  }
}

export interface ReplaySegment {
  /** Label for messages (the artifact key). */
  name: string
  startLsn: string
  endLsn: string
  /** Opens the segment's lines; called only when replay reaches the segment. */
  open: () => AsyncIterable<string>
}

export interface ReplayResult {
  /** true when a transaction after the target was seen: every transaction up to the target was applied. */
  stoppedAtTarget: boolean
  appliedLsn: string | null
  appliedCommitAt: string | null
  transactions: number
  changes: number
}

const MAX_IN_FLIGHT = 256

function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

function keyColumns(
  line: { pk?: Array<{ name: string }> | undefined },
  identity: Wal2jsonColumn[] | undefined,
  columns: Wal2jsonColumn[] | undefined,
  where: string,
): Wal2jsonColumn[] {
  if (identity && identity.length > 0) return identity
  const pk = line.pk ?? []
  if (pk.length === 0) throw new SegmentLineError(`${where}: table has no primary key or replica identity; its updates and deletes cannot be replayed`)
  return pk.map((k) => {
    const col = columns?.find((c) => c.name === k.name)
    if (!col) throw new SegmentLineError(`${where}: primary key column ${k.name} is missing from the change`)
    return col
  })
}

/**
 * Parameter $n as a value of the column's own type. Values travel as text and are cast in SQL:
 * the client library never reinterprets them (a timestamptz keeps its microseconds, a jsonb
 * string is not encoded twice, bytea hex stays hex).
 */
function param(n: number, col: Wal2jsonColumn): string {
  return `CAST($${n}::text AS ${columnTypeSql(col)})`
}

/** The statement and parameters for one change; null for lines that change nothing (messages). */
export function changeStatement(line: Wal2jsonLine): { text: string; params: Array<string | null> } | null {
  if (line.action === 'B' || line.action === 'C' || line.action === 'M') return null
  const table = `${ident(line.schema)}.${ident(line.table)}`
  const where = `${line.schema}.${line.table}`
  if (line.action === 'T') return { text: `TRUNCATE ${table}`, params: [] }
  if (line.action === 'I') {
    const names = line.columns.map((c) => ident(c.name)).join(', ')
    const values = line.columns.map((c, i) => param(i + 1, c)).join(', ')
    return { text: `INSERT INTO ${table} (${names}) VALUES (${values})`, params: line.columns.map(columnText) }
  }
  if (line.action === 'U') {
    const key = keyColumns(line, line.identity, line.columns, where)
    const set = line.columns.map((c, i) => `${ident(c.name)} = ${param(i + 1, c)}`).join(', ')
    const cond = key.map((c, i) => `${ident(c.name)} = ${param(line.columns.length + i + 1, c)}`).join(' AND ')
    return { text: `UPDATE ${table} SET ${set} WHERE ${cond}`, params: [...line.columns.map(columnText), ...key.map(columnText)] }
  }
  const key = keyColumns(line, line.identity, undefined, where)
  const cond = key.map((c, i) => `${ident(c.name)} = ${param(i + 1, c)}`).join(' AND ')
  return { text: `DELETE FROM ${table} WHERE ${cond}`, params: key.map(columnText) }
}

export interface ReplayOptions {
  /** A dedicated connection (max: 1): replay runs BEGIN/COMMIT on it. */
  sql: postgres.Sql
  /** The base snapshot's LSN: transactions committed at or before it are already in the snapshot. */
  snapshotLsn: string
  /** Inclusive target moment, ISO-8601 with up to microseconds. */
  targetTime: string
  /** Segments in LSN order. */
  segments: AsyncIterable<ReplaySegment> | Iterable<ReplaySegment>
  onTransaction?: (applied: ReplayResult) => void
}

export async function replayToMoment(options: ReplayOptions): Promise<ReplayResult> {
  const target = toMicros(options.targetTime)
  const result: ReplayResult = { stoppedAtTarget: false, appliedLsn: null, appliedCommitAt: null, transactions: 0, changes: 0 }
  let expectedStart = lsnToBigInt(options.snapshotLsn)
  let first = true

  for await (const segment of options.segments) {
    const start = lsnToBigInt(segment.startLsn)
    // Contiguity: each segment must begin where the stream so far ended (the first at or before the snapshot).
    if (first ? start > expectedStart : start !== expectedStart) {
      throw new ReplayError(
        'stream_gap',
        `the change stream has a gap: ${segment.name} starts at ${segment.startLsn} but the stream so far ends at ${formatLsn(expectedStart)}`,
      )
    }
    first = false
    expectedStart = lsnToBigInt(segment.endLsn)
    const done = await replaySegment(options.sql, segment, lsnToBigInt(options.snapshotLsn), target, result, options.onTransaction)
    if (done) {
      result.stoppedAtTarget = true
      return result
    }
  }
  return result
}

function formatLsn(value: bigint): string {
  return `${(value >> 32n).toString(16).toUpperCase()}/${(value & 0xffffffffn).toString(16).toUpperCase()}`
}

/** A statement sent without waiting; a failure is reported when the transaction's statements are awaited. */
function pipelined(pending: Promise<unknown>): Promise<unknown> {
  pending.catch(() => {})
  return pending
}

/** Applies one segment; returns true once a transaction past the target was seen (replay is complete). */
async function replaySegment(
  sql: postgres.Sql,
  segment: ReplaySegment,
  snapshotLsn: bigint,
  target: bigint,
  result: ReplayResult,
  onTransaction: ReplayOptions['onTransaction'],
): Promise<boolean> {
  let lineNo = 0
  let open: { inFlight: Array<Promise<unknown>>; changes: number; skip: boolean } | null = null
  const corrupt = (message: string) => new ReplayError('segment_corrupt', `${segment.name} line ${lineNo}: ${message}`)

  try {
    for await (const text of segment.open()) {
      lineNo++
      if (text.trim() === '') continue
      let line: Wal2jsonLine
      try {
        line = parseWal2jsonLine(text)
      } catch (error) {
        throw corrupt(error instanceof Error ? error.message : String(error))
      }
      if (line.action === 'B') {
        if (open) throw corrupt('a transaction begins before the previous one committed')
        let commitAt: bigint
        try {
          commitAt = toMicros(line.timestamp)
        } catch (error) {
          throw corrupt(error instanceof Error ? error.message : String(error))
        }
        if (commitAt > target) return true
        // Transactions whose commit record starts before the snapshot LSN (the slot's consistent point)
        // are in the base snapshot and skipped; one starting exactly there is after it and applied.
        const skip = line.lsn !== undefined && lsnToBigInt(line.lsn) < snapshotLsn
        open = { inFlight: [], changes: 0, skip }
        // BEGIN is pipelined with the transaction's statements: one round trip per transaction, at COMMIT.
        if (!skip) open.inFlight.push(pipelined(sql.unsafe('BEGIN').execute()))
        continue
      }
      if (!open) throw corrupt(`a ${line.action} line outside a transaction`)
      if (line.action === 'C') {
        const tx = open
        open = null
        if (tx.skip) continue
        await Promise.all(tx.inFlight)
        await sql.unsafe('COMMIT')
        result.transactions++
        result.changes += tx.changes
        result.appliedLsn = line.lsn
        result.appliedCommitAt = microsToIso(toMicros(line.timestamp))
        onTransaction?.(result)
        continue
      }
      if (open.skip) continue
      let statement: ReturnType<typeof changeStatement>
      try {
        statement = changeStatement(line)
      } catch (error) {
        throw corrupt(error instanceof Error ? error.message : String(error))
      }
      if (!statement) continue
      open.changes++
      open.inFlight.push(pipelined(sql.unsafe(statement.text, statement.params as never[]).execute()))
      if (open.inFlight.length >= MAX_IN_FLIGHT) {
        await Promise.all(open.inFlight)
        open.inFlight = []
      }
    }
    if (open) throw corrupt('the segment ends inside a transaction (truncated?)')
    return false
  } catch (error) {
    if (open && !open.skip) await sql.unsafe('ROLLBACK').catch(() => {})
    if (error instanceof ReplayError || isAppError(error)) throw error
    const message = error instanceof Error ? error.message : String(error)
    throw new ReplayError('restore_tool_failed', `applying ${segment.name} line ${lineNo} failed: ${message}`)
  }
}
