// Database previews (dry runs) against reality: a preview lists what the restore will create,
// replace and drop; then the same restore runs for real and a second preview of the result proves
// every listed change happened and nothing else did (the target's catalog is now exactly the
// dump's). The dry run leaves the target as it was, by oids and content, and ends completed with
// verdict `blocked` when a check failed; a missing target is listed as creates and not created.
import { join } from 'node:path'
import type { PreviewItem } from '@devpilot/contracts'
import { adminQuery, createEmptyDatabase, dropDatabase, fingerprint, pgDump, psql, testEnv } from '@devpilot/devenv/testing'
import t from 'tap'
import { createHarness } from './harness.js'
import { databaseOids, trustRecord } from './trust-kit.js'

const env = testEnv()
const h = await createHarness(t)
await h.startRunner()
const server1 = await h.server(env.DEVPILOT_TEST_PG_URL)
const destination = await h.localDestination()

const names = (items: PreviewItem[], action: PreviewItem['action']) =>
  items
    .filter((i) => i.action === action)
    .map((i) => `${i.kind} ${i.name}`)
    .sort()

const source = await createEmptyDatabase(t, { prefix: 'pvsrc' })
await psql(
  source.url,
  `CREATE SCHEMA s2; CREATE TABLE s2.extra (id int);
   CREATE TABLE kept (id int PRIMARY KEY, v text); INSERT INTO kept SELECT i, 'new ' || i FROM generate_series(1, 20) i;
   CREATE TABLE newtab (id int, v text); CREATE INDEX newtab_v_idx ON newtab (v);
   CREATE VIEW v AS SELECT id FROM kept;
   CREATE FUNCTION f(a integer) RETURNS integer LANGUAGE sql AS 'SELECT a';
   CREATE FUNCTION trgf() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
   CREATE TRIGGER trg BEFORE INSERT ON kept FOR EACH ROW EXECUTE FUNCTION trgf();`,
)
const key = `${source.name}.dump`
await pgDump(source.url, 'pg_custom', join(destination.path, key))
const planId = await h.databasePlan({ sourceServerId: server1, sourceDatabase: source.name, destinationId: destination.id })
const backupId = await h.backup({ planId, format: 'pg_custom', artifactKey: key, file: join(destination.path, key) })

t.test('a database preview lists creates, replaces with row counts, and drops; the restore then does exactly that', async (t) => {
  const target = await createEmptyDatabase(t, { prefix: 'pvtarget' })
  await psql(
    target.url,
    `CREATE TABLE kept (id int PRIMARY KEY, v text); INSERT INTO kept VALUES (1, 'old'), (2, 'old'), (3, 'old');
     CREATE TABLE old_only (x int); INSERT INTO old_only SELECT generate_series(1, 5);
     CREATE FUNCTION g() RETURNS int LANGUAGE sql AS 'SELECT 1'; ANALYZE;`,
  )
  const before = { content: await fingerprint(target.url), oids: await databaseOids(target.url, target.name) }

  const dry = await h.waitTerminal(await h.restore({ backupId, planId, targetServerId: server1, targetDatabase: target.name, overwrite: true, dryRun: true }))
  t.equal(dry.status, 'completed', dry.error_message ?? '')
  const { preview, checks } = await trustRecord(h, dry.id)
  if (!preview?.changes) throw new Error('no change list')
  t.equal(preview.verdict, 'ready')
  t.ok((preview.bytesNeeded ?? 0) > 0, 'bytesNeeded is estimated')
  t.ok(checks.length >= 8 && checks.every((c) => c.status !== 'failed'), 'the checks ran and passed')
  const created = [
    'function public.f(integer)',
    'function public.trgf()',
    'index public.newtab_v_idx',
    'schema s2',
    'table public.newtab',
    'table s2.extra',
    'trigger public.kept.trg',
    'view public.v',
  ]
  t.same(names(preview.changes.items, 'create'), created)
  t.same(names(preview.changes.items, 'replace'), ['table public.kept'])
  t.same(names(preview.changes.items, 'drop'), ['function public.g()', 'table public.old_only'])
  t.match(preview.changes, { create: 8, replace: 1, drop: 2, truncated: false })
  t.equal(preview.changes.items.find((i) => i.name === 'public.kept')?.rowsNow, 3, 'rowsNow of a replaced table')
  t.equal(preview.changes.items.find((i) => i.name === 'public.old_only')?.rowsNow, 5, 'rowsNow of a dropped table')
  t.same(
    { content: await fingerprint(target.url), oids: await databaseOids(target.url, target.name) },
    before,
    'the dry run left the target unchanged by oids and content',
  )

  const real = await h.waitTerminal(await h.restore({ backupId, planId, targetServerId: server1, targetDatabase: target.name, overwrite: true }))
  t.equal(real.status, 'completed', real.error_message ?? '')
  t.same(await fingerprint(target.url), await fingerprint(source.url), 'the target equals the dump')
  // The restored target's catalog, previewed again: exactly the created and replaced objects, nothing dropped left.
  const again = await h.waitTerminal(await h.restore({ backupId, planId, targetServerId: server1, targetDatabase: target.name, overwrite: true, dryRun: true }))
  const after = (await trustRecord(h, again.id)).preview?.changes
  if (!after) throw new Error('no second change list')
  t.same(names(after.items, 'replace'), [...created, 'table public.kept'].sort(), 'every create and replace happened')
  t.equal(after.create, 0, 'nothing of the dump is missing')
  t.equal(after.drop, 0, 'every drop happened and nothing else exists')
  t.equal(after.items.find((i) => i.name === 'public.kept')?.rowsNow !== undefined, true)
})

t.test('overwrite off on a non-empty target: the preview completes blocked, target_state failed, nothing dropped', async (t) => {
  const target = await createEmptyDatabase(t, { prefix: 'pvblocked' })
  await psql(target.url, 'CREATE TABLE old_only (x int);')
  const before = { content: await fingerprint(target.url), oids: await databaseOids(target.url, target.name) }
  const dry = await h.waitTerminal(await h.restore({ backupId, planId, targetServerId: server1, targetDatabase: target.name, dryRun: true }))
  t.equal(dry.status, 'completed')
  const { preview, checks } = await trustRecord(h, dry.id)
  t.equal(preview?.verdict, 'blocked')
  t.match(
    checks.find((c) => c.name === 'target_state'),
    { status: 'failed', message: /already holds user objects/ },
  )
  t.equal(preview?.changes?.drop, 0)
  t.same({ content: await fingerprint(target.url), oids: await databaseOids(target.url, target.name) }, before)
})

t.test('a preview of a missing database target lists only creates and creates nothing', async (t) => {
  const name = `pv_missing_${Date.now()}`
  t.teardown(() => dropDatabase(env.DEVPILOT_TEST_PG_URL, name))
  const dry = await h.waitTerminal(await h.restore({ backupId, planId, targetServerId: server1, targetDatabase: name, dryRun: true }))
  t.equal(dry.status, 'completed', dry.error_message ?? '')
  const { preview } = await trustRecord(h, dry.id)
  t.match(preview?.changes, { replace: 0, drop: 0, create: 9 })
  t.same(await adminQuery(env.DEVPILOT_TEST_PG_URL, 'SELECT 1 FROM pg_database WHERE datname = $1', [name]), [], 'no database was created')
})
