// Point-in-time replay of table shapes the plain workload does not have, against a real wal2json
// stream from a real source: a TRUNCATE naming two tables bound by a foreign key (one wal2json `T`
// line per table, which must be replayed as one TRUNCATE), and stored generated columns (which
// wal2json carries in its changes but the target must compute itself).
import { createReadStream, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { microsToIso, toMicros } from '@devpilot/contracts'
import { captureSegment, createEmptyDatabase, createSlotAndSnapshot, dropSlot, libpqEnv, psql, scratchDir, testEnv, uniqueName } from '@devpilot/devenv/testing'
import { execa } from 'execa'
import postgres from 'postgres'
import t from 'tap'
import { replayToMoment } from '../src/restore/pitr/replay.js'

const TRUNCATE_SCHEMA = `
  CREATE TABLE parent (id int PRIMARY KEY, name text NOT NULL);
  CREATE TABLE child (id int PRIMARY KEY, parent_id int NOT NULL REFERENCES parent (id), note text);
  INSERT INTO parent VALUES (1, 'before');
  INSERT INTO child VALUES (1, 1, 'before');
`
const TRUNCATE_CONTENT = `SELECT json_build_object(
       'parent', (SELECT coalesce(json_agg(p ORDER BY id), '[]') FROM parent p),
       'child', (SELECT coalesce(json_agg(c ORDER BY id), '[]') FROM child c))::text AS content`
const TRUNCATE_WORKLOAD = [
  `INSERT INTO parent VALUES (2, 'two'); INSERT INTO child VALUES (2, 2, 'two'), (3, 1, 'three')`,
  // One statement naming both tables: wal2json writes one T line per table.
  `TRUNCATE parent, child`,
  `INSERT INTO parent VALUES (5, 'after'); INSERT INTO child VALUES (7, 5, 'after')`,
  // TRUNCATE ... CASCADE names only the parent; the child is truncated through the foreign key.
  `TRUNCATE parent CASCADE`,
  // A TRUNCATE of the child alone, between other changes of the same transaction.
  `INSERT INTO parent VALUES (6, 'again'); INSERT INTO child VALUES (8, 6, 'x'); TRUNCATE child; INSERT INTO child VALUES (9, 6, 'y')`,
  `INSERT INTO parent VALUES (7, 'last'); TRUNCATE child, parent`,
]

const GENERATED_SCHEMA = `
  CREATE TABLE priced (id int PRIMARY KEY, net numeric(12,2) NOT NULL, rate numeric(4,2) NOT NULL,
                       gross numeric(14,2) GENERATED ALWAYS AS (net * (1 + rate)) STORED, label text,
                       shout text GENERATED ALWAYS AS (upper(label)) STORED);
  INSERT INTO priced (id, net, rate, label) VALUES (10, 1.00, 0.50, 'old');
`
const GENERATED_CONTENT = `SELECT coalesce(json_agg(x ORDER BY id), '[]')::text AS content FROM priced x`
const GENERATED_WORKLOAD = [
  `INSERT INTO priced (id, net, rate, label) VALUES (1, 100.00, 0.19, 'pen'), (2, 10.50, 0.07, NULL)`,
  `UPDATE priced SET net = 200.00, label = 'big pen' WHERE id = 1`,
  `UPDATE priced SET id = 3 WHERE id = 2`,
  `DELETE FROM priced WHERE id = 1`,
  `UPDATE priced SET rate = 0.25 WHERE id = 10`,
]

const dir = scratchDir(t, 'pitr-shapes')

/** A source with `schema`, a slot and base snapshot, the workload run after it (the source's content recorded after each transaction), one segment. */
async function capture(label: string, schema: string, contentQuery: string, workload: string[]) {
  const source = await createEmptyDatabase(t, { prefix: `pitr_${label}_src` })
  const slot = uniqueName('slot')
  await psql(source.url, schema)
  const dump = join(dir, `${label}.dump`)
  const snapshot = await createSlotAndSnapshot(source.url, slot, dump)
  t.teardown(() => dropSlot(source.url, slot))
  const src = postgres(source.url, { max: 1, onnotice: () => {} })
  const content = async (sql: postgres.Sql) => (await sql.unsafe<Array<{ content: string }>>(contentQuery))[0]?.content ?? ''
  const states: string[] = [await content(src)]
  try {
    for (const statement of workload) {
      await src.unsafe(`BEGIN; ${statement}; COMMIT;`).simple()
      states.push(await content(src))
    }
  } finally {
    await src.end()
  }
  const seg = await captureSegment(source.url, slot, snapshot.snapshotLsn, join(dir, `${label}.json`), 'none')
  const lines = () => createInterface({ input: createReadStream(seg.file), crlfDelay: Number.POSITIVE_INFINITY })
  const commits: string[] = []
  for await (const line of lines()) {
    const m = /^\{"action":"C","timestamp":"([^"]+)"/.exec(line)
    if (m?.[1]) commits.push(microsToIso(toMicros(m[1])))
  }

  async function restoreTo(targetTime: string) {
    const target = await createEmptyDatabase(t, { prefix: `pitr_${label}_dst` })
    await execa(join(testEnv().PG_BIN_DIR, 'pg_restore'), ['--exit-on-error', '--no-owner', '-d', target.name, dump], { env: libpqEnv(target.url) })
    const sql = postgres(target.url, { max: 1, onnotice: () => {} })
    try {
      const result = await replayToMoment({
        sql,
        snapshotLsn: snapshot.snapshotLsn,
        targetTime,
        segments: [{ name: seg.file, startLsn: seg.startLsn, endLsn: seg.endLsn, open: lines }],
      })
      return { result, content: await content(sql) }
    } finally {
      await sql.end()
    }
  }
  return { seg, states, commits, restoreTo }
}

const truncates = await capture('trunc', TRUNCATE_SCHEMA, TRUNCATE_CONTENT, TRUNCATE_WORKLOAD)
const generated = await capture('gen', GENERATED_SCHEMA, GENERATED_CONTENT, GENERATED_WORKLOAD)

t.test('the streams hold one T line per table of a multi-table TRUNCATE, and the generated columns', async (t) => {
  t.equal(truncates.commits.length, TRUNCATE_WORKLOAD.length)
  t.equal(generated.commits.length, GENERATED_WORKLOAD.length)
  const text = readFileSync(truncates.seg.file, 'utf8')
  t.match(text, /"action":"T",[^\n]*"table":"parent"/)
  t.match(text, /"action":"T",[^\n]*"table":"child"/)
  t.match(readFileSync(generated.seg.file, 'utf8'), /"action":"I",[^\n]*"table":"priced","columns":[^\n]*"name":"gross"/)
})

t.test('a TRUNCATE of tables bound by a foreign key replays: each commit moment equals the source at that moment', async (t) => {
  for (let k = 0; k < truncates.commits.length; k++) {
    const { result, content } = await truncates.restoreTo(truncates.commits[k] ?? '')
    t.equal(content, truncates.states[k + 1], `state after transaction ${k + 1}: ${TRUNCATE_WORKLOAD[k]}`)
    t.equal(result.transactions, k + 1)
  }
})

t.test('stored generated columns are computed by the target: each commit moment equals the source at that moment', async (t) => {
  for (let k = 0; k < generated.commits.length; k++) {
    const { result, content } = await generated.restoreTo(generated.commits[k] ?? '')
    t.equal(content, generated.states[k + 1], `state after transaction ${k + 1}: ${GENERATED_WORKLOAD[k]}`)
    t.equal(result.transactions, k + 1)
  }
})
