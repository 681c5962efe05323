// Point-in-time replay against a real change stream: a real source database, a real wal2json
// slot with an exported snapshot, real pg_recvlogical segments, replayed into real databases.
import { createReadStream } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { createGunzip } from 'node:zlib'
import { microsToIso, toMicros } from '@devpilot/contracts'
import { captureSegment, createEmptyDatabase, createSlotAndSnapshot, dropSlot, libpqEnv, psql, scratchDir, testEnv, uniqueName } from '@devpilot/devenv/testing'
import { execa } from 'execa'
import postgres from 'postgres'
import t from 'tap'
import { type ReplaySegment, replayToMoment } from '../src/restore/pitr/replay.js'

const SCHEMA = `
  CREATE SCHEMA app;
  CREATE TABLE app.accounts (id bigint PRIMARY KEY, owner text NOT NULL, balance numeric(30,10) NOT NULL, big int8, flags boolean[], doc jsonb, blob bytea, seen timestamptz, note text);
  CREATE TABLE public.pairs (a int, b text, v double precision, PRIMARY KEY (a, b));
  CREATE TABLE public.events (id serial PRIMARY KEY, kind text NOT NULL, at timestamptz NOT NULL DEFAULT now());
`

const CONTENT_QUERY = `SELECT json_build_object(
       'accounts', (SELECT coalesce(json_agg(a ORDER BY id), '[]') FROM app.accounts a),
       'pairs', (SELECT coalesce(json_agg(p ORDER BY a, b), '[]') FROM public.pairs p),
       'events', (SELECT coalesce(json_agg(e ORDER BY id), '[]') FROM public.events e))::text AS content`

async function content(sql: postgres.Sql): Promise<string> {
  const [row] = await sql.unsafe<Array<{ content: string }>>(CONTENT_QUERY)
  return row?.content ?? ''
}

function linesOf(file: string, gzip: boolean): AsyncIterable<string> {
  const input = gzip ? createReadStream(file).pipe(createGunzip()) : createReadStream(file)
  return createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })
}

async function commitTimes(segments: Array<{ file: string; compression: string }>): Promise<string[]> {
  const times: string[] = []
  for (const s of segments) {
    for await (const line of linesOf(s.file, s.compression === 'gzip')) {
      const m = /^\{"action":"C","timestamp":"([^"]+)"/.exec(line)
      if (m?.[1]) times.push(microsToIso(toMicros(m[1])))
    }
  }
  return times
}

const source = await createEmptyDatabase(t, { prefix: 'pitr_src' })
const dir = scratchDir(t, 'pitr')
const slot = uniqueName('slot')
await psql(source.url, SCHEMA)
const snapshot = await createSlotAndSnapshot(source.url, slot, join(dir, 'base.dump'))
t.teardown(() => dropSlot(source.url, slot))

// The workload: serial transactions, the source's full content recorded after each one.
const src = postgres(source.url, { max: 1, onnotice: () => {} })
t.teardown(() => src.end())
const states: string[] = [await content(src)]
const workload = [
  `INSERT INTO app.accounts VALUES (1, 'ana', 12345678901234567890.0123456789, 9007199254740993, '{t,f}', '{"tier": "gold", "n": 1.10}', '\\x00ff10', '2026-01-01 10:00:00.123456+00', 'multi
line "quoted" ü')`,
  `INSERT INTO public.pairs VALUES (1, 'x', 0.1), (2, 'y', 1e300); INSERT INTO public.events (kind) VALUES ('open')`,
  `UPDATE app.accounts SET balance = balance - 0.0000000001, note = NULL WHERE id = 1`,
  `INSERT INTO app.accounts VALUES (2, 'bo', 0, NULL, NULL, NULL, NULL, NULL, 'second')`,
  `UPDATE app.accounts SET id = 20 WHERE id = 2`,
  `DELETE FROM public.pairs WHERE a = 1 AND b = 'x'`,
  `INSERT INTO public.events (kind) VALUES ('a'); INSERT INTO public.events (kind) VALUES ('b')`,
  `TRUNCATE public.pairs`,
  `UPDATE app.accounts SET doc = doc || '{"n": 2}' WHERE id = 1`,
  `INSERT INTO public.pairs VALUES (3, 'z', -0.5)`,
]
async function run(statement: string) {
  await src.unsafe(`BEGIN; ${statement}; COMMIT;`).simple()
  states.push(await content(src))
}
for (const statement of workload.slice(0, 6)) await run(statement)
const seg1 = await captureSegment(source.url, slot, snapshot.snapshotLsn, join(dir, 'seg1.json'), 'none')
// The last transactions run back to back on one connection: they commit milliseconds apart.
for (const statement of workload.slice(6)) await run(statement)
const seg2 = await captureSegment(source.url, slot, seg1.endLsn, join(dir, 'seg2.json.gz'), 'gzip')
const commits = await commitTimes([seg1, seg2])

function segmentsOf(list: (typeof seg1)[]): ReplaySegment[] {
  return list.map((s) => ({ name: s.file, startLsn: s.startLsn, endLsn: s.endLsn, open: () => linesOf(s.file, s.compression === 'gzip') }))
}

async function restoreTo(targetTime: string, segments = [seg1, seg2]) {
  const target = await createEmptyDatabase(t, { prefix: 'pitr_dst' })
  await execa(join(testEnv().PG_BIN_DIR, 'pg_restore'), ['--exit-on-error', '--no-owner', '-d', target.name, join(dir, 'base.dump')], {
    env: libpqEnv(target.url),
  })
  const sql = postgres(target.url, { max: 1, onnotice: () => {} })
  try {
    const result = await replayToMoment({ sql, snapshotLsn: snapshot.snapshotLsn, targetTime, segments: segmentsOf(segments) })
    return { result, content: await content(sql) }
  } finally {
    await sql.end()
  }
}

t.test('the workload produced one stream transaction per source transaction', async (t) => {
  t.equal(commits.length, workload.length)
  t.equal(seg1.transactions + seg2.transactions, workload.length)
})

t.test('restoring to a moment before the first change gives exactly the base snapshot', async (t) => {
  const first = commits[0] ?? ''
  const { result, content: restored } = await restoreTo(microsToIso(toMicros(first) - 1n))
  t.equal(result.transactions, 0)
  t.equal(restored, states[0])
})

t.test('restoring to each commit moment (inclusive) equals the source at that moment', async (t) => {
  for (let k = 0; k < commits.length; k++) {
    const at = commits[k] ?? ''
    const { result, content: restored } = await restoreTo(at)
    t.equal(restored, states[k + 1], `state after transaction ${k + 1} (${at})`)
    t.equal(result.transactions, k + 1)
    t.equal(result.appliedCommitAt, at)
  }
})

t.test('a moment one microsecond before a commit, milliseconds after the previous one, stops between them', async (t) => {
  // The closest pair of commits; the moment sits in the same millisecond as the later commit
  // whenever that commit is not on a millisecond boundary, which a millisecond clock gets wrong.
  const gaps = commits.slice(1).map((c, i) => ({ k: i, gap: toMicros(c) - toMicros(commits[i] ?? c) }))
  const closest = gaps.reduce((a, b) => (b.gap < a.gap ? b : a))
  t.ok(closest.gap < 20_000n, `the back-to-back commits are milliseconds apart (closest: ${closest.gap} µs)`)
  const later = toMicros(commits[closest.k + 1] ?? '')
  const between = microsToIso(later - 1n)
  const { result, content: restored } = await restoreTo(between)
  t.equal(restored, states[closest.k + 1], 'state after the earlier transaction')
  t.not(restored, states[closest.k + 2], 'the later transaction is not applied')
  t.equal(result.appliedCommitAt, commits[closest.k])
})

t.test('a corrupt line fails the replay with segment_corrupt naming the segment', async (t) => {
  const file = join(dir, 'corrupt.json')
  const { readFileSync, writeFileSync } = await import('node:fs')
  const lines = readFileSync(seg1.file, 'utf8').split('\n')
  // Damage the second transaction's change line: its JSON is cut in half.
  const changeIdx = lines.findIndex((l, i) => i > 3 && /"action":"[IUD]"/.test(l))
  lines[changeIdx] = (lines[changeIdx] ?? '').slice(0, 40)
  writeFileSync(file, lines.join('\n'))
  const broken = { ...seg1, file }
  await t.rejects(restoreTo(commits.at(-1) ?? '', [broken, seg2]), { name: 'ReplayError', code: 'segment_corrupt' })
})

t.test('a missing segment is a stream_gap and applies nothing past the gap', async (t) => {
  await t.rejects(restoreTo(commits.at(-1) ?? '', [seg2]), { name: 'ReplayError', code: 'stream_gap' })
})
