// Sequences are not in the logical stream: after replay each keeps the base snapshot's value while
// the replayed rows carry the ids the source's sequences handed out, so the application's first
// insert would collide. Before the swap, every sequence owned by a column (serial: pg_depend
// deptype 'a'; identity: 'i') is advanced past that column's extreme. A sequence never moves
// backwards, and one whose column has no rows (or is already past it) is left as it is.
import type postgres from 'postgres'
import type { Logger } from '../../logger.js'

interface OwnedSequence {
  seq: string
  tbl: string
  col: string
  ascending: boolean
}

/** Advances each column-owned sequence of the (staging) database to at least its column's extreme; returns how many moved. */
export async function advanceOwnedSequences(sql: postgres.Sql, log: Logger): Promise<number> {
  const owned = await sql<OwnedSequence[]>`
    SELECT format('%I.%I', sn.nspname, s.relname) AS seq, format('%I.%I', tn.nspname, t.relname) AS tbl,
           quote_ident(a.attname) AS col, q.seqincrement > 0 AS ascending
    FROM pg_depend d
    JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
    JOIN pg_namespace sn ON sn.oid = s.relnamespace
    JOIN pg_sequence q ON q.seqrelid = s.oid
    JOIN pg_class t ON t.oid = d.refobjid
    JOIN pg_namespace tn ON tn.oid = t.relnamespace
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
    WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
      AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i')
      AND a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)`
  let moved = 0
  for (const o of owned) {
    // The value nextval would return next, computed in numeric so a sequence at its limit does not overflow.
    // setval(extreme, true) makes the next value one step past the column's extreme, clamped to the
    // sequence's bounds (past them nextval fails "reached maximum value" rather than colliding).
    const text = o.ascending
      ? `SELECT setval($1::regclass, least(x.m, q.seqmax), true) AS v
         FROM (SELECT max(${o.col})::bigint AS m FROM ${o.tbl}) x, ${o.seq} s, pg_sequence q
         WHERE q.seqrelid = $1::regclass AND x.m IS NOT NULL
           AND x.m::numeric >= CASE WHEN s.is_called THEN s.last_value::numeric + q.seqincrement ELSE s.last_value END`
      : `SELECT setval($1::regclass, greatest(x.m, q.seqmin), true) AS v
         FROM (SELECT min(${o.col})::bigint AS m FROM ${o.tbl}) x, ${o.seq} s, pg_sequence q
         WHERE q.seqrelid = $1::regclass AND x.m IS NOT NULL
           AND x.m::numeric <= CASE WHEN s.is_called THEN s.last_value::numeric + q.seqincrement ELSE s.last_value END`
    const rows = await sql.unsafe<Array<{ v: string }>>(text, [o.seq])
    if (rows.length > 0) {
      moved++
      log.info({ sequence: o.seq, table: o.tbl, column: o.col, value: rows[0]?.v }, 'sequence advanced past the replayed rows')
    }
  }
  return moved
}
