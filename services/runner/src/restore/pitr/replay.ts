// Replays a wal2json change stream into a database, transaction by transaction, up to a moment.
// Each source transaction is applied in exactly one target transaction; replay stops at the
// first transaction that committed after the target time (as PostgreSQL's own
// recovery_target_time does), so the result is the source as it was at that moment. Lines are
// streamed: memory holds one line plus a bounded window of pipelined statements. Statements are
// shaped by the staging database's own catalog (generated columns are left to the target), and a
// change the restored schema cannot take is reported as stream_schema_mismatch, naming table and column.

import { isAppError, lsnToBigInt, microsToIso, toMicros } from '@devpilot/contracts'
import type postgres from 'postgres'
import { type CatalogTable, loadStagingCatalog, type StagingCatalog } from './staging-catalog.js'
import { columnText, columnTypeSql, parseWal2jsonLine, SegmentLineError, type Wal2jsonColumn, type Wal2jsonLine } from './wal2json.js'

export type ReplayErrorCode = 'segment_corrupt' | 'stream_gap' | 'stream_schema_mismatch' | 'restore_tool_failed'

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

/** A change the restored schema cannot take: the source's schema moved after the snapshot. */
export class SchemaMismatchError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SchemaMismatchError'
  }
}

const SCHEMA_MOVED = 'the schema changed after the snapshot (DDL is not in the change stream); take a new snapshot after a schema change'

type RowChange = Extract<Wal2jsonLine, { action: 'I' | 'U' | 'D' }>

/** The staging table a change or truncate names; a table created after the snapshot is not there. */
function catalogTable(catalog: StagingCatalog, line: { schema: string; table: string }): CatalogTable {
  const table = catalog.table(line.schema, line.table)
  if (!table) {
    throw new SchemaMismatchError(`table ${line.schema}.${line.table} does not exist in the restored snapshot; ${SCHEMA_MOVED}`)
  }
  return table
}

/** Every column a change names must exist in the staging table (a column added after the snapshot does not). */
function checkColumns(line: RowChange, table: CatalogTable): void {
  const named = [...(line.action === 'D' ? [] : line.columns), ...(line.action === 'I' ? [] : (line.identity ?? []))]
  for (const col of named) {
    if (!table.columns.has(col.name)) {
      throw new SchemaMismatchError(
        `table ${line.schema}.${line.table} has no column ${col.name} in the restored snapshot, but the change stream writes it; ${SCHEMA_MOVED}`,
      )
    }
  }
}

/**
 * The statement and parameters for one row change, shaped by the staging table: stored generated
 * columns are left out (the target computes them; writing one is an error); an insert overrides
 * GENERATED ALWAYS identity columns (the row keeps the source's id). null when nothing remains to write.
 */
export function changeStatement(line: RowChange, table: CatalogTable): { text: string; params: Array<string | null> } | null {
  checkColumns(line, table)
  const relation = `${ident(line.schema)}.${ident(line.table)}`
  const where = `${line.schema}.${line.table}`
  if (line.action === 'I') {
    const written = line.columns.filter((c) => !table.columns.get(c.name)?.generated)
    if (written.length === 0) return { text: `INSERT INTO ${relation} DEFAULT VALUES`, params: [] }
    const names = written.map((c) => ident(c.name)).join(', ')
    const values = written.map((c, i) => param(i + 1, c)).join(', ')
    return { text: `INSERT INTO ${relation} (${names}) OVERRIDING SYSTEM VALUE VALUES (${values})`, params: written.map(columnText) }
  }
  if (line.action === 'U') {
    const key = keyColumns(line, line.identity, line.columns, where)
    // A GENERATED ALWAYS identity column may only be set to DEFAULT by an UPDATE; wal2json repeats
    // its unchanged value in every update, so it is left out unless its old value says it changed.
    const unchanged = (c: Wal2jsonColumn) => {
      const old = line.identity?.find((k) => k.name === c.name)
      return old === undefined || columnText(old) === columnText(c)
    }
    const written = line.columns.filter((c) => {
      const staged = table.columns.get(c.name)
      return !staged?.generated && !(staged?.identityAlways && unchanged(c))
    })
    if (written.length === 0) return null
    const set = written.map((c, i) => `${ident(c.name)} = ${param(i + 1, c)}`).join(', ')
    const cond = key.map((c, i) => `${ident(c.name)} = ${param(written.length + i + 1, c)}`).join(' AND ')
    return { text: `UPDATE ${relation} SET ${set} WHERE ${cond}`, params: [...written.map(columnText), ...key.map(columnText)] }
  }
  const key = keyColumns(line, line.identity, undefined, where)
  const cond = key.map((c, i) => `${ident(c.name)} = ${param(i + 1, c)}`).join(' AND ')
  return { text: `DELETE FROM ${relation} WHERE ${cond}`, params: key.map(columnText) }
}

/**
 * One TRUNCATE for the tables of one source TRUNCATE: wal2json writes a `T` line per table (all
 * with the statement's LSN), and tables bound by a foreign key can only be truncated together.
 * Naming exactly the source's set (no CASCADE) gives exactly the source's result.
 */
function truncateStatement(tables: ReadonlyArray<{ schema: string; table: string }>): string {
  return `TRUNCATE ${tables.map((t) => `${ident(t.schema)}.${ident(t.table)}`).join(', ')}`
}

/** A pipelined change that PostgreSQL refused, with the line it came from (for the message and the diagnosis). */
class ChangeFailure extends Error {
  constructor(
    override readonly cause: unknown,
    readonly line: RowChange | null,
    readonly lineNo: number,
  ) {
    super(cause instanceof Error ? cause.message : String(cause))
    this.name = 'ChangeFailure'
  }
}

/**
 * Why a change PostgreSQL refused could not apply, when the reason is a schema that moved after
 * the snapshot: a column whose type changed, or (an insert) a NOT NULL column without a default that
 * the source no longer had. Runs after ROLLBACK, on the replay connection. null: some other reason.
 */
async function diagnoseSchemaMismatch(sql: postgres.Sql, line: RowChange, table: CatalogTable): Promise<string | null> {
  const named = [...(line.action === 'D' ? [] : line.columns), ...(line.action === 'I' ? [] : (line.identity ?? []))]
  for (const col of named) {
    const staged = table.columns.get(col.name)
    if (!staged || staged.type === col.type) continue
    const [row] = await sql<Array<{ oid: number | null }>>`SELECT to_regtype(${col.type})::oid::int AS oid`
    if (row?.oid !== staged.typeOid) {
      return `column ${col.name} of table ${line.schema}.${line.table} is ${staged.type} in the restored snapshot but ${col.type} in the change stream; ${SCHEMA_MOVED}`
    }
  }
  if (line.action === 'I') {
    const present = new Set(line.columns.map((c) => c.name))
    for (const staged of table.columns.values()) {
      if (staged.required && !staged.generated && !present.has(staged.name)) {
        return `column ${staged.name} of table ${line.schema}.${line.table} is NOT NULL in the restored snapshot, but the source's rows no longer have it; ${SCHEMA_MOVED}`
      }
    }
  }
  return null
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

interface ReplayContext {
  sql: postgres.Sql
  catalog: StagingCatalog
  snapshotLsn: bigint
  target: bigint
  result: ReplayResult
  onTransaction: ReplayOptions['onTransaction']
}

export async function replayToMoment(options: ReplayOptions): Promise<ReplayResult> {
  const target = toMicros(options.targetTime)
  const result: ReplayResult = { stoppedAtTarget: false, appliedLsn: null, appliedCommitAt: null, transactions: 0, changes: 0 }
  let expectedStart = lsnToBigInt(options.snapshotLsn)
  let first = true
  // Read before any transaction: the staging schema does not change during replay.
  const context: ReplayContext = {
    sql: options.sql,
    catalog: await loadStagingCatalog(options.sql),
    snapshotLsn: lsnToBigInt(options.snapshotLsn),
    target,
    result,
    onTransaction: options.onTransaction,
  }

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
    const done = await replaySegment(context, segment)
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
async function replaySegment(context: ReplayContext, segment: ReplaySegment): Promise<boolean> {
  const { sql, catalog, snapshotLsn, target, result } = context
  let lineNo = 0
  let open: {
    inFlight: Array<Promise<unknown>>
    changes: number
    skip: boolean
    /** The tables of a source TRUNCATE read so far, sent as one statement at its last table. */
    truncate: { lsn: string | undefined; tables: Array<{ schema: string; table: string }> } | null
  } | null = null
  const corrupt = (message: string) => new ReplayError('segment_corrupt', `${segment.name} line ${lineNo}: ${message}`)
  const send = (tx: NonNullable<typeof open>, text: string, params: Array<string | null>, line: RowChange | null) => {
    const at = lineNo
    tx.changes++
    tx.inFlight.push(
      pipelined(
        sql
          .unsafe(text, params as never[])
          .execute()
          .catch((error: unknown) => {
            throw new ChangeFailure(error, line, at)
          }),
      ),
    )
  }
  const flushTruncate = (tx: NonNullable<typeof open>) => {
    if (!tx.truncate) return
    send(tx, truncateStatement(tx.truncate.tables), [], null)
    tx.truncate = null
  }

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
        open = { inFlight: [], changes: 0, skip, truncate: null }
        // BEGIN is pipelined with the transaction's statements: one round trip per transaction, at COMMIT.
        if (!skip) open.inFlight.push(pipelined(sql.unsafe('BEGIN').execute()))
        continue
      }
      if (!open) throw corrupt(`a ${line.action} line outside a transaction`)
      if (line.action === 'C') {
        const tx = open
        if (tx.skip) {
          open = null
          continue
        }
        flushTruncate(tx)
        await Promise.all(tx.inFlight)
        open = null
        await sql.unsafe('COMMIT')
        result.transactions++
        result.changes += tx.changes
        result.appliedLsn = line.lsn
        result.appliedCommitAt = microsToIso(toMicros(line.timestamp))
        context.onTransaction?.(result)
        continue
      }
      if (open.skip || line.action === 'M') continue
      if (line.action === 'T') {
        catalogTable(catalog, line)
        // Lines of one TRUNCATE carry its LSN; a T line with another LSN is another statement.
        if (open.truncate && (line.lsn === undefined || open.truncate.lsn !== line.lsn)) flushTruncate(open)
        open.truncate ??= { lsn: line.lsn, tables: [] }
        open.truncate.tables.push({ schema: line.schema, table: line.table })
        continue
      }
      flushTruncate(open)
      let statement: ReturnType<typeof changeStatement>
      try {
        statement = changeStatement(line, catalogTable(catalog, line))
      } catch (error) {
        if (error instanceof SchemaMismatchError) throw error
        throw corrupt(error instanceof Error ? error.message : String(error))
      }
      if (!statement) continue
      send(open, statement.text, statement.params, line)
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
    if (error instanceof SchemaMismatchError) {
      throw new ReplayError('stream_schema_mismatch', `${segment.name} line ${lineNo}: ${error.message}`)
    }
    if (error instanceof ChangeFailure) {
      const table = error.line ? catalog.table(error.line.schema, error.line.table) : undefined
      const mismatch = error.line && table ? await diagnoseSchemaMismatch(sql, error.line, table).catch(() => null) : null
      if (mismatch) throw new ReplayError('stream_schema_mismatch', `${segment.name} line ${error.lineNo}: ${mismatch} (${error.message})`)
      throw new ReplayError('restore_tool_failed', `applying ${segment.name} line ${error.lineNo} failed: ${error.message}`)
    }
    const message = error instanceof Error ? error.message : String(error)
    throw new ReplayError('restore_tool_failed', `applying ${segment.name} line ${lineNo} failed: ${message}`)
  }
}
