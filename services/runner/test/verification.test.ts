// Verification before the swap, with real restores: a manifest made inside the dump's snapshot that
// matches, one with a wrong count and one naming a table the dump lacks; plan SQL checks that pass,
// and checks that try to write (DELETE, COMMIT; DELETE), return two rows, no row, a non-boolean,
// false, an error, or run past the statement timeout. Every failure is verification_failed naming
// the check and what it returned, with the existing target unchanged by content and by oid and no
// staging database left; the outcome is on the record either way.
import type { BackupManifest, PlanVerification, RestoreVerification } from '@devpilot/contracts'
import { updatePlanSettings } from '@devpilot/db'
import {
  adminQuery,
  createEmptyDatabase,
  databaseUrl,
  dropDatabase,
  fingerprint,
  pgDumpWithManifest,
  psql,
  type Teardown,
  testEnv,
  uniqueName,
} from '@devpilot/devenv/testing'
import t from 'tap'
import { restoreShortId } from '../src/restore/short-id.js'
import { createHarness } from './harness.js'

// Five real restores, each verified; beyond the default 120 s on a loaded machine.
t.setTimeout(10 * 60_000)
const env = testEnv()
const h = await createHarness(t)
// One second: the check that sleeps is cut off quickly; row counts of these small tables take milliseconds.
await h.startRunner({ VERIFY_STATEMENT_TIMEOUT_SECONDS: '1' })
const serverId = await h.server(env.DEVPILOT_TEST_PG_URL)
const local = await h.localDestination()

const sourceName = uniqueName('versrc')
await adminQuery(env.DEVPILOT_TEST_PG_URL, `CREATE DATABASE "${sourceName}"`)
t.teardown(() => dropDatabase(env.DEVPILOT_TEST_PG_URL, sourceName))
const sourceUrl = databaseUrl(env.DEVPILOT_TEST_PG_URL, sourceName)
await psql(
  sourceUrl,
  `CREATE TABLE orders (id int PRIMARY KEY, total numeric NOT NULL);
   INSERT INTO orders SELECT i, i * 1.5 FROM generate_series(1, 120) i;
   CREATE SCHEMA sales;
   CREATE TABLE sales.items (id int PRIMARY KEY, name text);
   INSERT INTO sales.items SELECT i, 'item ' || i FROM generate_series(1, 30) i;
   CREATE TABLE empty_table (id int);`,
)
const dumpFile = `${local.path}/verify.dump`
const manifest = await pgDumpWithManifest(sourceUrl, 'pg_custom', dumpFile)

async function planWith(verification: PlanVerification | null): Promise<string> {
  const planId = await h.databasePlan({ sourceServerId: serverId, sourceDatabase: sourceName, destinationId: local.id })
  await h.db.sql.begin((tx) => updatePlanSettings(tx, { workspaceId: h.ws.workspaceId, id: planId, patch: { verification } }))
  return planId
}

async function recorded(restoreId: string): Promise<RestoreVerification | null> {
  const [row] = await h.db.sql<{ verification: RestoreVerification | null }[]>`SELECT verification FROM restores WHERE id = ${restoreId}`
  return row?.verification ?? null
}

async function databaseOid(name: string): Promise<string | null> {
  const [row] = await adminQuery<{ oid: string }>(env.DEVPILOT_TEST_PG_URL, 'SELECT oid::text AS oid FROM pg_database WHERE datname = $1', [name])
  return row?.oid ?? null
}

async function leftovers(restoreId: string): Promise<string[]> {
  const rows = await adminQuery<{ datname: string }>(env.DEVPILOT_TEST_PG_URL, 'SELECT datname FROM pg_database WHERE datname LIKE $1', [
    `%${restoreShortId(restoreId)}%`,
  ])
  return rows.map((r) => r.datname)
}

/** Restores over an existing database that holds its own data, which a failed verification must leave as it was. */
async function restoreOverVictim(t: Teardown, params: { planId: string; manifest?: BackupManifest }) {
  const victim = await createEmptyDatabase(t, { prefix: 'vervictim' })
  await psql(victim.url, `CREATE TABLE precious (id int PRIMARY KEY, v text); INSERT INTO precious SELECT i, 'keep ' || i FROM generate_series(1, 40) i;`)
  const before = { content: await fingerprint(victim.url), oid: await databaseOid(victim.name) }
  const backupId = await h.backup({ format: 'pg_custom', artifactKey: 'verify.dump', file: dumpFile, ...params })
  const restoreId = await h.restore({ backupId, planId: params.planId, targetServerId: serverId, targetDatabase: victim.name, overwrite: true })
  const row = await h.waitTerminal(restoreId)
  return { row, restoreId, victim, before }
}

t.test('a manifest counted inside the dump snapshot matches: the restore is verified and swapped in', async (t) => {
  t.same(manifest.tables, [
    { schema: 'public', name: 'empty_table', rows: 0 },
    { schema: 'public', name: 'orders', rows: 120 },
    { schema: 'sales', name: 'items', rows: 30 },
  ])
  const planId = await planWith({ checks: [{ name: 'orders total', sql: 'SELECT sum(total) = 10890 FROM orders' }] })
  const { row, restoreId, victim } = await restoreOverVictim(t, { planId, manifest })
  t.equal(row.status, 'completed', row.error_message ?? '')
  t.same(await fingerprint(victim.url), await fingerprint(sourceUrl), 'the target is the backup')
  t.same(await recorded(restoreId), {
    status: 'passed',
    checks: [
      { name: 'manifest', status: 'passed', message: "3 tables match the manifest's row counts" },
      { name: 'orders total', status: 'passed', message: 'returned true' },
    ],
    tables: [
      { schema: 'public', name: 'empty_table', rows: 0, expectedRows: 0 },
      { schema: 'public', name: 'orders', rows: 120, expectedRows: 120 },
      { schema: 'sales', name: 'items', rows: 30, expectedRows: 30 },
    ],
  })
  t.same(await leftovers(restoreId), [])
})

t.test('a manifest with a wrong count or a table the dump lacks fails verification; the target is unchanged', async (t) => {
  const planId = await planWith(null)
  const wrong: BackupManifest = {
    tables: [
      { schema: 'public', name: 'empty_table', rows: 0 },
      { schema: 'public', name: 'orders', rows: 121 },
      { schema: 'sales', name: 'items', rows: 30 },
      { schema: 'sales', name: 'refunds', rows: 4 },
    ],
  }
  const { row, restoreId, victim, before } = await restoreOverVictim(t, { planId, manifest: wrong })
  t.equal(row.status, 'failed')
  t.equal(row.error_code, 'verification_failed')
  t.match(row.error_message, /manifest: .*sales\.refunds is in the manifest \(4 rows\) but not in the restored database/)
  t.match(row.error_message, /public\.orders has 120 rows, the manifest says 121/)
  t.match(row.error_message, /The target was not changed\.$/)
  t.same(await fingerprint(victim.url), before.content, 'target content unchanged')
  t.equal(await databaseOid(victim.name), before.oid, 'target is the same database (oid)')
  t.same(await leftovers(restoreId), [], 'the staging database was dropped')
  const verification = await recorded(restoreId)
  t.equal(verification?.status, 'failed')
  t.same(
    verification?.tables.find((x) => x.name === 'orders'),
    { schema: 'public', name: 'orders', rows: 120, expectedRows: 121 },
  )
})

t.test('checks that try to write cannot: each fails read-only, and the data they targeted is intact', async (t) => {
  const planId = await planWith({
    checks: [
      { name: 'delete via cte', sql: 'WITH d AS (DELETE FROM orders RETURNING 1) SELECT count(*) = 0 FROM d' },
      { name: 'plain delete', sql: 'DELETE FROM orders' },
      { name: 'commit then delete', sql: 'COMMIT; DELETE FROM orders' },
      { name: 'read-write again', sql: "SELECT set_config('transaction_read_only', 'off', true) IS NOT NULL" },
      { name: 'orders intact', sql: 'SELECT count(*) = 120 FROM orders' },
    ],
  })
  const { row, restoreId, victim, before } = await restoreOverVictim(t, { planId })
  t.equal(row.error_code, 'verification_failed')
  const checks = (await recorded(restoreId))?.checks ?? []
  const byName = Object.fromEntries(checks.map((c) => [c.name, c]))
  // PostgreSQL names the statement (SELECT) that carries the data-modifying CTE.
  t.match(byName['delete via cte'], { status: 'failed', message: /cannot execute SELECT in a read-only transaction/ })
  t.match(byName['plain delete'], { status: 'failed', message: /cannot execute DELETE in a read-only transaction/ })
  t.match(byName['commit then delete'], { status: 'failed', message: /cannot insert multiple commands into a prepared statement/ })
  t.match(byName['read-write again'], { status: 'failed', message: /read-write mode/ })
  t.same(byName['orders intact'], { name: 'orders intact', status: 'passed', message: 'returned true' }, 'every row is still there after the attempts')
  t.match(row.error_message, /delete via cte: failed: cannot execute SELECT in a read-only transaction; plain delete: failed: cannot execute DELETE/)
  t.notMatch(row.error_message, /orders intact/, 'only failed checks are named')
  t.same(await fingerprint(victim.url), before.content)
  t.equal(await databaseOid(victim.name), before.oid)
})

t.test('two rows, no row, a non-boolean, false, an error and a timeout each fail with that reason', async (t) => {
  const planId = await planWith({
    checks: [
      { name: 'two rows', sql: 'SELECT true FROM generate_series(1, 2)' },
      { name: 'no row', sql: 'SELECT true WHERE false' },
      { name: 'number', sql: 'SELECT count(*) FROM orders' },
      { name: 'text', sql: "SELECT 'true'" },
      { name: 'false', sql: 'SELECT count(*) = 0 FROM orders' },
      { name: 'error', sql: 'SELECT true FROM no_such_table' },
      { name: 'slow', sql: 'SELECT pg_sleep(30) IS NOT NULL' },
      { name: 'fine', sql: 'SELECT true, 42' },
    ],
  })
  const started = performance.now()
  const { row, restoreId, victim, before } = await restoreOverVictim(t, { planId })
  t.ok(performance.now() - started < 25_000, 'the slow check was cut off by the statement timeout')
  t.equal(row.error_code, 'verification_failed')
  t.same(await recorded(restoreId).then((v) => v?.checks), [
    { name: 'two rows', status: 'failed', message: 'returned 2 rows; a check must return exactly one row' },
    { name: 'no row', status: 'failed', message: 'returned 0 rows; a check must return exactly one row' },
    { name: 'number', status: 'failed', message: "returned 120 (bigint), not a boolean; a check's first column must be true" },
    { name: 'text', status: 'failed', message: `returned "true" (text), not a boolean; a check's first column must be true` },
    { name: 'false', status: 'failed', message: 'returned false' },
    { name: 'error', status: 'failed', message: 'failed: relation "no_such_table" does not exist' },
    { name: 'slow', status: 'failed', message: 'timed out after 1 s (VERIFY_STATEMENT_TIMEOUT_SECONDS)' },
    { name: 'fine', status: 'passed', message: 'returned true' },
  ])
  for (const name of ['two rows', 'no row', 'number', 'text', 'false', 'error', 'slow']) t.match(row.error_message, `${name}: `)
  t.same(await fingerprint(victim.url), before.content)
  t.equal(await databaseOid(victim.name), before.oid)
  t.same(await leftovers(restoreId), [])
})

t.test('verification is skipped with verify: false, and when there is nothing to verify against', async (t) => {
  const checked = await planWith({ checks: [{ name: 'would fail', sql: 'SELECT false' }] })
  const target = uniqueName('verskip')
  t.teardown(() => dropDatabase(env.DEVPILOT_TEST_PG_URL, target))
  const backupId = await h.backup({ planId: checked, format: 'pg_custom', artifactKey: 'verify.dump', file: dumpFile, manifest })
  const skipped = await h.restore({ backupId, planId: checked, targetServerId: serverId, targetDatabase: target, verify: false })
  t.equal((await h.waitTerminal(skipped)).status, 'completed')
  t.same(await recorded(skipped), { status: 'skipped', checks: [], tables: [] })

  const plain = await planWith(null)
  const target2 = uniqueName('verskip')
  t.teardown(() => dropDatabase(env.DEVPILOT_TEST_PG_URL, target2))
  const bare = await h.backup({ planId: plain, format: 'pg_custom', artifactKey: 'verify.dump', file: dumpFile })
  const nothing = await h.restore({ backupId: bare, planId: plain, targetServerId: serverId, targetDatabase: target2 })
  t.equal((await h.waitTerminal(nothing)).status, 'completed')
  t.same(await recorded(nothing), { status: 'skipped', checks: [], tables: [] }, 'no manifest, no checks, not a drill')
  t.same(await fingerprint(databaseUrl(env.DEVPILOT_TEST_PG_URL, target2)), await fingerprint(sourceUrl))
})
