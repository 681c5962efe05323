// Parses one line of wal2json format-version 2 output into a typed change. Numbers are parsed
// losslessly (wal2json writes int8/numeric as bare JSON numbers holding PostgreSQL's exact text,
// which JSON.parse would round), and every value is turned into the text PostgreSQL accepts for
// its column, so nothing is reinterpreted on the way.
import { isLosslessNumber, parse } from 'lossless-json'
import { z } from 'zod'

const column = z.object({ name: z.string().min(1), type: z.string().min(1), value: z.unknown() })
const keyColumn = z.object({ name: z.string().min(1), type: z.string().min(1) })
const relation = { schema: z.string().min(1), table: z.string().min(1) }

const lineSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('B'), timestamp: z.string(), lsn: z.string().optional(), nextlsn: z.string().optional(), xid: z.unknown().optional() }),
  z.object({ action: z.literal('C'), timestamp: z.string(), lsn: z.string(), nextlsn: z.string().optional(), xid: z.unknown().optional() }),
  z.object({ action: z.literal('I'), ...relation, columns: z.array(column).min(1), pk: z.array(keyColumn).optional() }),
  z.object({ action: z.literal('U'), ...relation, columns: z.array(column).min(1), identity: z.array(column).optional(), pk: z.array(keyColumn).optional() }),
  z.object({ action: z.literal('D'), ...relation, identity: z.array(column).min(1), pk: z.array(keyColumn).optional() }),
  // Every T line of one TRUNCATE statement carries that statement's LSN.
  z.object({ action: z.literal('T'), ...relation, lsn: z.string().optional() }),
  z.object({ action: z.literal('M') }).loose(),
])
export type Wal2jsonLine = z.infer<typeof lineSchema>
export type Wal2jsonColumn = z.infer<typeof column>

export class SegmentLineError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SegmentLineError'
  }
}

export function parseWal2jsonLine(text: string): Wal2jsonLine {
  let raw: unknown
  try {
    raw = parse(text)
  } catch (error) {
    throw new SegmentLineError(`not valid JSON (${error instanceof Error ? error.message : String(error)})`)
  }
  const result = lineSchema.safeParse(raw)
  if (!result.success) throw new SegmentLineError(`not a wal2json v2 change: ${result.error.issues[0]?.message ?? 'invalid'}`)
  return result.data
}

// What wal2json writes as a column type is format_type() output: names, dots, double quotes,
// type modifiers and array brackets. Anything else would be spliced into SQL, so it is refused.
const SAFE_TYPE =
  /^(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")(?:\.(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+"))?(?: [a-z]+)*(?:\(\d+(?:,\s?\d+)?\))?(?: with(?:out)? time zone)?(?:\[\])*$/

/** The column's type as SQL, for `CAST($n::text AS type)`; throws on anything that is not a type name. */
export function columnTypeSql(col: { name: string; type: string }): string {
  if (!SAFE_TYPE.test(col.type)) throw new SegmentLineError(`column ${col.name} has an unexpected type ${JSON.stringify(col.type)}`)
  return col.type
}

/** A column value as the text PostgreSQL parses for that column's type (null stays null). */
export function columnText(col: Wal2jsonColumn): string | null {
  const { value, type } = col
  if (value === null || value === undefined) return null
  if (isLosslessNumber(value)) return value.value
  if (typeof value === 'boolean') return value ? 't' : 'f'
  if (typeof value === 'string') return type === 'bytea' ? `\\x${value}` : value
  throw new SegmentLineError(`column ${col.name} has an unexpected ${typeof value} value`)
}
