// Point-in-time restores through the real runner where the source moved on around the stream:
// rows inserted after the snapshot through serial and identity columns (sequences are not in the
// stream, the restored target must still hand out new ids), and DDL after the snapshot (not in the
// stream either: a column added, a table created, a column's type changed), which must fail with
// stream_schema_mismatch naming table and column and leave the target unchanged.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { microsToIso, toMicros } from '@devpilot/contracts'
import { insertBackup, insertPlan, insertStreamSegment } from '@devpilot/db'
import {
  adminQuery,
  type BaseSnapshot,
  type CapturedSegment,
  captureSegment,
  createEmptyDatabase,
  createSlotAndSnapshot,
  databaseUrl,
  dropSlot,
  psql,
  putObject,
  queryText,
  scratchDir,
  type Teardown,
  testEnv,
  uniqueName,
} from '@devpilot/devenv/testing'
import postgres from 'postgres'
import t from 'tap'
import { createHarness } from './harness.js'

const env = testEnv()
const h = await createHarness(t)
await h.startRunner()
const serverId = await h.server(env.DEVPILOT_TEST_PG_URL)
const s3 = await h.s3Destination()
const dir = scratchDir(t, 'pitr-schema')

const source = await createEmptyDatabase(t, { prefix: 'pit_schema_src' })
await psql(
  source.url,
  `CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL DEFAULT 'item');
   CREATE TABLE tickets (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, title text NOT NULL DEFAULT 'ticket');
   -- A sequence ahead of its column (rows deleted before the snapshot): it must not move backwards.
   CREATE TABLE notes (id bigserial PRIMARY KEY, body text NOT NULL DEFAULT 'note');
   -- No rows at all: its sequence is left as the snapshot has it.
   CREATE TABLE unused (id serial PRIMARY KEY, v text);
   INSERT INTO items (name) VALUES ('a'), ('b');
   INSERT INTO tickets (title) VALUES ('t1');
   INSERT INTO notes (body) SELECT 'n' || g FROM generate_series(1, 6) g;
   DELETE FROM notes WHERE id > 2;`,
)
const CONTENT = `SELECT json_build_object(
  'items', (SELECT coalesce(json_agg(i ORDER BY id), '[]') FROM items i),
  'tickets', (SELECT coalesce(json_agg(x ORDER BY id), '[]') FROM tickets x),
  'notes', (SELECT coalesce(json_agg(n ORDER BY id), '[]') FROM notes n))::text AS content`
const content = (url: string) => queryText(url, CONTENT)

/** A slot with its base snapshot, uploaded; its segments are captured later. */
async function snapshotNow(label: string): Promise<BaseSnapshot & { key: string }> {
  const slot = uniqueName(`pit_${label}`)
  const file = join(dir, `${label}.dump`)
  const snapshot = await createSlotAndSnapshot(source.url, slot, file)
  t.teardown(() => dropSlot(source.url, slot))
  const key = `schema/${label}.dump`
  await putObject(s3.client, s3.bucket, key, readFileSync(file))
  return { ...snapshot, key }
}

async function segment(label: string, slot: string, startLsn: string): Promise<CapturedSegment & { key: string }> {
  const seg = await captureSegment(source.url, slot, startLsn, join(dir, `${label}.json`), 'none')
  const key = `schema/stream/${label}`
  await putObject(s3.client, s3.bucket, key, readFileSync(seg.file))
  return { ...seg, key }
}

function commitsOf(seg: CapturedSegment): string[] {
  return [...readFileSync(seg.file, 'utf8').matchAll(/^\{"action":"C","timestamp":"([^"]+)"/gm)].flatMap((m) => (m[1] ? [microsToIso(toMicros(m[1]))] : []))
}

const src = postgres(source.url, { max: 1, onnotice: () => {} })
t.teardown(() => src.end())

// Stream 1: rows through the sequences, then a column added and written.
const first = await snapshotNow('first')
await src.unsafe(`INSERT INTO items (name) VALUES ('c'), ('d'), ('e')`).simple()
await src.unsafe(`INSERT INTO tickets (title) VALUES ('t2'), ('t3'); INSERT INTO items (name) VALUES ('f')`).simple()
const stateBeforeDdl = await content(source.url)
const firstRows = await segment('first-rows', first.slot, first.snapshotLsn)
await src.unsafe(`ALTER TABLE items ADD COLUMN color text; INSERT INTO items (name, color) VALUES ('g', 'red')`).simple()
// Stream 2 starts after the column: a table created after its snapshot is written.
const second = await snapshotNow('second')
await src.unsafe(`CREATE TABLE later (id int PRIMARY KEY, label int); INSERT INTO later VALUES (1, 1)`).simple()
// Stream 3 starts after that table: a column's type changes and the new type is written.
const third = await snapshotNow('third')
await src.unsafe(`ALTER TABLE later ALTER COLUMN label TYPE text; INSERT INTO later VALUES (2, 'two')`).simple()
const firstDdl = await segment('first-ddl', first.slot, firstRows.endLsn)
const secondSeg = await segment('second', second.slot, second.snapshotLsn)
const thirdSeg = await segment('third', third.slot, third.snapshotLsn)

async function realtimePlan(snapshot: { key: string; snapshotLsn: string }, segments: Array<CapturedSegment & { key: string }>) {
  const plan = await insertPlan(h.db.db, {
    workspaceId: h.ws.workspaceId,
    name: uniqueName('rt'),
    type: 'database',
    mode: 'realtime',
    sourceServerId: serverId,
    sourceDatabase: source.name,
    destinationId: s3.id,
  })
  const backup = await insertBackup(h.db.db, {
    workspaceId: h.ws.workspaceId,
    planId: plan.id,
    format: 'pg_custom',
    artifactKey: snapshot.key,
    status: 'completed',
    snapshotLsn: snapshot.snapshotLsn,
  })
  for (const seg of segments) {
    await insertStreamSegment(h.db.db, {
      workspaceId: h.ws.workspaceId,
      planId: plan.id,
      destinationId: s3.id,
      segment: {
        artifactKey: seg.key,
        startLsn: seg.startLsn,
        endLsn: seg.endLsn,
        firstCommitAt: seg.firstCommitAt,
        lastCommitAt: seg.lastCommitAt,
        sizeBytes: seg.sizeBytes,
        sha256: seg.sha256,
        compression: seg.compression,
      },
    })
  }
  return { planId: plan.id, backupId: backup.id }
}

async function restoreTo(plan: { planId: string; backupId: string }, targetTime: string, targetDatabase: string, overwrite = false) {
  const id = await h.restore({ ...plan, targetServerId: serverId, targetDatabase, overwrite, pitTargetTime: targetTime })
  return h.waitTerminal(id, 60_000)
}

/** An existing database the failing restores target with overwrite on; it must not change. */
async function victim(t: Teardown) {
  const v = await createEmptyDatabase(t, { prefix: 'pit_schema_victim' })
  await psql(v.url, `CREATE TABLE precious (id int PRIMARY KEY); INSERT INTO precious SELECT generate_series(1, 10);`)
  return { ...v, rows: await psql(v.url, 'SELECT count(*) FROM precious') }
}

t.test('after replay the serial and identity sequences are past the replayed rows; none moves backwards, an empty table keeps its own', async (t) => {
  const plan = await realtimePlan(first, [firstRows, firstDdl])
  const name = uniqueName('pit_seq')
  t.teardown(() => adminQuery(env.DEVPILOT_TEST_PG_URL, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))
  const row = await restoreTo(plan, commitsOf(firstRows).at(-1) ?? '', name)
  t.equal(row.status, 'completed', `${row.error_code ?? ''} ${row.error_message ?? ''}`)
  const url = databaseUrl(env.DEVPILOT_TEST_PG_URL, name)
  t.equal(await content(url), stateBeforeDdl, 'the rows inserted after the snapshot were replayed')
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  t.teardown(() => sql.end())
  const [items] = await sql<Array<{ id: number }>>`INSERT INTO items DEFAULT VALUES RETURNING id`
  const [tickets] = await sql<Array<{ id: number }>>`INSERT INTO tickets DEFAULT VALUES RETURNING id`
  const [notes] = await sql<Array<{ id: string }>>`INSERT INTO notes DEFAULT VALUES RETURNING id`
  const [unused] = await sql<Array<{ last_value: string; is_called: boolean }>>`SELECT last_value::text, is_called FROM unused_id_seq`
  t.equal(items?.id, 7, 'items (serial): six rows replayed, the next id is 7')
  t.equal(tickets?.id, 4, 'tickets (identity): three rows replayed, the next id is 4')
  t.equal(notes?.id, '7', 'notes: its sequence was ahead of the rows (6 handed out, 2 kept) and stays ahead')
  t.same(unused, { last_value: '1', is_called: false }, 'a table without rows leaves its sequence as the snapshot has it')
})

t.test('a column added after the snapshot fails with stream_schema_mismatch naming table and column; the target is unchanged', async (t) => {
  const plan = await realtimePlan(first, [firstRows, firstDdl])
  const v = await victim(t)
  const row = await restoreTo(plan, commitsOf(firstDdl).at(-1) ?? '', v.name, true)
  t.equal(row.status, 'failed')
  t.equal(row.error_code, 'stream_schema_mismatch', row.error_message ?? '')
  t.match(row.error_message, /table public\.items has no column color/)
  t.match(row.error_message, /schema\/stream\/first-ddl line \d+/)
  t.match(row.error_message, /The target was not changed/)
  t.equal(await psql(v.url, 'SELECT count(*) FROM precious'), v.rows)
})

t.test('a table created after the snapshot fails with stream_schema_mismatch naming the table; the target is unchanged', async (t) => {
  const plan = await realtimePlan(second, [secondSeg])
  const v = await victim(t)
  const row = await restoreTo(plan, commitsOf(secondSeg).at(-1) ?? '', v.name, true)
  t.equal(row.status, 'failed')
  t.equal(row.error_code, 'stream_schema_mismatch', row.error_message ?? '')
  t.match(row.error_message, /table public\.later does not exist in the restored snapshot/)
  t.equal(await psql(v.url, 'SELECT count(*) FROM precious'), v.rows)
})

t.test('a column whose type changed after the snapshot fails with stream_schema_mismatch naming table, column and both types', async (t) => {
  const plan = await realtimePlan(third, [thirdSeg])
  const v = await victim(t)
  const row = await restoreTo(plan, commitsOf(thirdSeg).at(-1) ?? '', v.name, true)
  t.equal(row.status, 'failed')
  t.equal(row.error_code, 'stream_schema_mismatch', row.error_message ?? '')
  t.match(row.error_message, /column label of table public\.later is integer in the restored snapshot but text in the change stream/)
  t.equal(await psql(v.url, 'SELECT count(*) FROM precious'), v.rows)
})
