// Point-in-time restores through the real runner (user triggers do not fire twice): a real source with a wal2json slot, a base
// snapshot consistent with the slot's LSN, a workload whose full content is recorded after every
// transaction, real segments in an S3 destination, and restores to several moments into new
// databases, each equal to the source at that moment. Faults (a gap, a corrupt segment, a wrong
// checksum) fail with their code and leave an existing target unchanged.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { microsToIso, toMicros } from '@devpilot/contracts'
import { insertBackup, insertPlan, insertStreamSegment } from '@devpilot/db'
import {
  adminQuery,
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
const dir = scratchDir(t, 'pitr-run')

const source = await createEmptyDatabase(t, { prefix: 'pit_src' })
await psql(
  source.url,
  `CREATE TABLE accounts (id bigint PRIMARY KEY, owner text NOT NULL, balance numeric(20,6) NOT NULL, seen timestamptz, doc jsonb);
   CREATE TABLE ledger (id serial PRIMARY KEY, account bigint NOT NULL, amount numeric(20,6) NOT NULL, at timestamptz NOT NULL DEFAULT now());
   INSERT INTO accounts VALUES (1, 'ana', 100, '2026-01-01 00:00:00.000001+00', '{"v": 1}');
   -- An audit trigger: its rows are in the stream already, so replay must not fire it again.
   CREATE TABLE audit (id serial PRIMARY KEY, what text NOT NULL);
   CREATE FUNCTION audit_ledger() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit (what) VALUES ('ledger ' || NEW.id); RETURN NEW; END $$;
   CREATE TRIGGER ledger_audit AFTER INSERT ON ledger FOR EACH ROW EXECUTE FUNCTION audit_ledger();`,
)
const CONTENT = `SELECT json_build_object(
  'accounts', (SELECT coalesce(json_agg(a ORDER BY id), '[]') FROM accounts a),
  'ledger', (SELECT coalesce(json_agg(l ORDER BY id), '[]') FROM ledger l),
  'audit', (SELECT coalesce(json_agg(x ORDER BY id), '[]') FROM audit x))::text AS content`
const content = (url: string) => queryText(url, CONTENT)

// Base snapshot, registered as a completed pg_custom backup carrying its LSN.
const slot = uniqueName('pit_slot')
const baseFile = join(dir, 'base.dump')
const snapshot = await createSlotAndSnapshot(source.url, slot, baseFile)
t.teardown(() => dropSlot(source.url, slot))
await putObject(s3.client, s3.bucket, 'rt/base.dump', readFileSync(baseFile))

// A workload over a few seconds; the source's full content is recorded after every transaction.
const src = postgres(source.url, { max: 1, onnotice: () => {} })
t.teardown(() => src.end())
const states: string[] = [await content(source.url)]
async function tx(statement: string) {
  await src.unsafe(`BEGIN; ${statement}; COMMIT;`).simple()
  const [row] = await src.unsafe<Array<{ content: string }>>(CONTENT)
  states.push(row?.content ?? '')
}
const segments: CapturedSegment[] = []
for (let round = 0; round < 3; round++) {
  for (let i = 0; i < 4; i++) {
    const n = round * 4 + i
    await tx(`INSERT INTO ledger (account, amount) VALUES (1, ${n}.125); UPDATE accounts SET balance = balance + ${n}.125, seen = now() WHERE id = 1`)
  }
  await tx(`INSERT INTO accounts VALUES (${10 + round}, 'acct ${round}', ${round}, NULL, '{"r": ${round}}')`)
  await tx(`DELETE FROM ledger WHERE id = ${round * 4 + 1}`)
  await new Promise((r) => setTimeout(r, 300))
  const file = join(dir, `seg${round}.json${round === 1 ? '.gz' : ''}`)
  const startLsn = segments.at(-1)?.endLsn ?? snapshot.snapshotLsn
  segments.push(await captureSegment(source.url, slot, startLsn, file, round === 1 ? 'gzip' : 'none'))
}
const commits: string[] = []
for (const seg of segments) {
  const text = seg.compression === 'gzip' ? (await import('node:zlib')).gunzipSync(readFileSync(seg.file)).toString('utf8') : readFileSync(seg.file, 'utf8')
  for (const m of text.matchAll(/^\{"action":"C","timestamp":"([^"]+)"/gm)) if (m[1]) commits.push(microsToIso(toMicros(m[1])))
}
for (const [i, seg] of segments.entries()) await putObject(s3.client, s3.bucket, `rt/stream/${i}`, readFileSync(seg.file))

async function realtimePlan(register: Array<{ index: number; sha256?: string | null; key?: string }>) {
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
    artifactKey: 'rt/base.dump',
    status: 'completed',
    snapshotLsn: snapshot.snapshotLsn,
  })
  for (const r of register) {
    const seg = segments[r.index]
    if (!seg) throw new Error('no such segment')
    await insertStreamSegment(h.db.db, {
      workspaceId: h.ws.workspaceId,
      planId: plan.id,
      destinationId: s3.id,
      segment: {
        artifactKey: r.key ?? `rt/stream/${r.index}`,
        startLsn: seg.startLsn,
        endLsn: seg.endLsn,
        firstCommitAt: seg.firstCommitAt,
        lastCommitAt: seg.lastCommitAt,
        sizeBytes: seg.sizeBytes,
        sha256: r.sha256 === undefined ? seg.sha256 : r.sha256,
        compression: seg.compression,
      },
    })
  }
  return { planId: plan.id, backupId: backup.id }
}

const full = await realtimePlan([{ index: 0 }, { index: 1 }, { index: 2 }])

async function restoreTo(plan: { planId: string; backupId: string }, targetTime: string, targetDatabase: string, overwrite = false) {
  const id = await h.restore({ ...plan, targetServerId: serverId, targetDatabase, overwrite, pitTargetTime: targetTime })
  const row = await h.waitTerminal(id, 60_000)
  const [pit] = await h.db.sql<{ applied_lsn: string | null; applied_at: string | null }[]>`
    SELECT pit_applied_lsn::text AS applied_lsn, pit_applied_commit_at::text AS applied_at FROM restores WHERE id = ${id}`
  return { row, pit }
}

t.test('the workload is in the stream: one commit per source transaction, across three segments', async (t) => {
  t.equal(commits.length, states.length - 1)
  t.equal(segments.length, 3)
})

t.test('restores to several moments each equal the source at that moment', async (t) => {
  const k = commits.length
  const moments: Array<{ label: string; at: string; state: number }> = [
    { label: 'before the first change', at: microsToIso(toMicros(commits[0] ?? '') - 1n), state: 0 },
    { label: 'exactly at a commit in the first segment', at: commits[2] ?? '', state: 3 },
    { label: 'exactly at a commit in the gzip segment', at: commits[8] ?? '', state: 9 },
    { label: 'the last commit', at: commits[k - 1] ?? '', state: k },
  ]
  for (const m of moments) {
    const name = uniqueName('pit_at')
    t.teardown(() => adminQuery(env.DEVPILOT_TEST_PG_URL, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))
    const { row, pit } = await restoreTo(full, m.at, name)
    t.equal(row.status, 'completed', `${m.label}: ${row.error_code ?? ''} ${row.error_message ?? ''}`)
    t.equal(await content(databaseUrl(env.DEVPILOT_TEST_PG_URL, name)), states[m.state], `${m.label}: content equals the source at ${m.at}`)
    if (m.state > 0) t.equal(microsToIso(toMicros(pit?.applied_at ?? '')), commits[m.state - 1], `${m.label}: applied commit time recorded`)
  }
})

t.test('a moment between two commits milliseconds apart lands between them', async (t) => {
  const gaps = commits.slice(1).map((c, i) => ({ k: i, gap: toMicros(c) - toMicros(commits[i] ?? c) }))
  const closest = gaps.reduce((a, b) => (b.gap < a.gap ? b : a))
  t.ok(closest.gap < 50_000n, `closest commits ${closest.gap} µs apart`)
  const between = microsToIso(toMicros(commits[closest.k + 1] ?? '') - 1n)
  const name = uniqueName('pit_between')
  t.teardown(() => adminQuery(env.DEVPILOT_TEST_PG_URL, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))
  const { row } = await restoreTo(full, between, name)
  t.equal(row.status, 'completed')
  t.equal(await content(databaseUrl(env.DEVPILOT_TEST_PG_URL, name)), states[closest.k + 1])
})

/** An existing database the failing restores target with overwrite on; it must not change. */
async function victim(t: Teardown) {
  const v = await createEmptyDatabase(t, { prefix: 'pit_victim' })
  await psql(v.url, `CREATE TABLE precious (id int PRIMARY KEY); INSERT INTO precious SELECT generate_series(1, 10);`)
  return { ...v, before: await content(v.url).catch(() => ''), rows: await psql(v.url, 'SELECT count(*) FROM precious') }
}

t.test('a missing segment fails with stream_gap and leaves the target unchanged', async (t) => {
  const gapped = await realtimePlan([{ index: 0 }, { index: 2 }])
  const v = await victim(t)
  const { row } = await restoreTo(gapped, commits.at(-1) ?? '', v.name, true)
  t.equal(row.status, 'failed')
  t.equal(row.error_code, 'stream_gap')
  t.equal(await psql(v.url, 'SELECT count(*) FROM precious'), v.rows)
})

t.test('a corrupt segment fails with segment_corrupt and leaves the target unchanged', async (t) => {
  const text = readFileSync(segments[0]?.file ?? '', 'utf8').split('\n')
  const idx = text.findIndex((l) => /"action":"U"/.test(l))
  text[idx] = (text[idx] ?? '').slice(0, 30)
  await putObject(s3.client, s3.bucket, 'rt/stream/corrupt0', Buffer.from(text.join('\n')))
  const corrupt = await realtimePlan([{ index: 0, key: 'rt/stream/corrupt0', sha256: null }, { index: 1 }, { index: 2 }])
  const v = await victim(t)
  const { row } = await restoreTo(corrupt, commits.at(-1) ?? '', v.name, true)
  t.equal(row.error_code, 'segment_corrupt')
  t.match(row.error_message, /rt\/stream\/corrupt0 line \d+/)
  t.equal(await psql(v.url, 'SELECT count(*) FROM precious'), v.rows)
})

t.test('a segment whose sha256 does not match fails with checksum_mismatch, even when the moment is early in it', async (t) => {
  const wrong = await realtimePlan([{ index: 0, sha256: 'f'.repeat(64) }, { index: 1 }, { index: 2 }])
  const v = await victim(t)
  const { row } = await restoreTo(wrong, commits[0] ?? '', v.name, true)
  t.equal(row.error_code, 'checksum_mismatch')
  t.equal(await psql(v.url, 'SELECT count(*) FROM precious'), v.rows)
})

t.test('a gzip segment cut short fails with segment_corrupt naming the segment and leaves the target unchanged', async (t) => {
  const gz = readFileSync(segments[1]?.file ?? '')
  t.equal(segments[1]?.compression, 'gzip')
  // The object ends in the middle of the gzip stream (an interrupted upload): no checksum registered.
  await putObject(s3.client, s3.bucket, 'rt/stream/truncated1', gz.subarray(0, Math.floor(gz.length / 2)))
  const truncated = await realtimePlan([{ index: 0 }, { index: 1, key: 'rt/stream/truncated1', sha256: null }, { index: 2 }])
  const v = await victim(t)
  const { row } = await restoreTo(truncated, commits.at(-1) ?? '', v.name, true)
  t.equal(row.status, 'failed')
  t.equal(row.error_code, 'segment_corrupt', row.error_message ?? '')
  t.match(row.error_message, /rt\/stream\/truncated1/)
  t.equal(await psql(v.url, 'SELECT count(*) FROM precious'), v.rows)
})

t.test('a point-in-time preview names the base snapshot and the segments the replay would read, and creates nothing', async (t) => {
  const database = uniqueName('pit_preview')
  t.teardown(() => adminQuery(env.DEVPILOT_TEST_PG_URL, `DROP DATABASE IF EXISTS "${database}"`))
  const preview = async (targetTime: string) => {
    const id = await h.restore({ ...full, targetServerId: serverId, targetDatabase: database, pitTargetTime: targetTime, dryRun: true })
    const row = await h.waitTerminal(id)
    t.equal(row.status, 'completed', row.error_message ?? '')
    const [record] = await h.db.sql<{ preview: { pointInTime?: unknown; changes: { create: number } | null } }[]>`SELECT preview FROM restores WHERE id = ${id}`
    return record?.preview
  }
  const last = commits.at(-1) ?? ''
  const whole = await preview(last)
  t.same(whole?.pointInTime, { baseBackupId: full.backupId, segments: 3, firstLsn: segments[0]?.startLsn, lastLsn: segments[2]?.endLsn })
  t.ok((whole?.changes?.create ?? 0) >= 3, 'the base snapshot lists its tables to create')
  const early = await preview(segments[0]?.lastCommitAt ?? '')
  t.match(early?.pointInTime, { baseBackupId: full.backupId, segments: 1, lastLsn: segments[0]?.endLsn })
  t.same(await adminQuery(env.DEVPILOT_TEST_PG_URL, 'SELECT 1 FROM pg_database WHERE datname = $1', [database]), [], 'no database was created')
})
