// Partial database restores through the real runner against real PostgreSQL: the three target
// cases (a new database, a new schema side by side, replacing exactly the selected tables), the
// refusals (dependent objects, existing tables with overwrite off, an existing targetSchema,
// unknown names) and a failure in the middle of the apply. Afterwards the selected tables equal the
// dump's, and every other object of the target is untouched by oid and by content.
import { join } from 'node:path'
import { createEmptyDatabase, fingerprint, pgDump, psql, type Teardown, testEnv } from '@devpilot/devenv/testing'
import postgres from 'postgres'
import t from 'tap'
import { createHarness } from './harness.js'

const env = testEnv()
const h = await createHarness(t)
await h.startRunner()
const serverId = await h.server(env.DEVPILOT_TEST_PG_URL)
const destination = await h.localDestination()

// Names that need quoting: a dot, quotes, unicode, upper case, and one that tries SQL.
const SCHEMA_SQL = `
  CREATE TYPE public.mood AS ENUM ('ok', 'sad');
  CREATE TABLE public.customers (id serial PRIMARY KEY, name text NOT NULL UNIQUE);
  CREATE TABLE public.orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, customer_id int REFERENCES public.customers(id), total numeric, m public.mood);
  CREATE INDEX orders_total ON public.orders (total);
  COMMENT ON TABLE public.orders IS 'the orders';
  CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
  CREATE TRIGGER orders_touch BEFORE INSERT ON public.orders FOR EACH ROW EXECUTE FUNCTION public.touch();
  CREATE SCHEMA "odd.schema";
  CREATE TABLE "odd.schema"."My ""quoted"" table" ("a b" serial PRIMARY KEY, v text);
  CREATE TABLE public."x; DROP TABLE y" (id int PRIMARY KEY);
  CREATE TABLE public."Ünïcode" (id int CHECK (id > 0), label text);
  CREATE TABLE public.audit (id serial PRIMARY KEY, note text);
`
const DATA_SQL = `
  INSERT INTO public.customers (name) SELECT 'c' || g FROM generate_series(1, 20) g;
  INSERT INTO public.orders (customer_id, total, m) SELECT 1 + g % 20, g * 1.5, CASE WHEN g % 2 = 0 THEN 'ok' ELSE 'sad' END::public.mood FROM generate_series(1, 200) g;
  INSERT INTO "odd.schema"."My ""quoted"" table" (v) VALUES ('one'), ('two');
  INSERT INTO public."x; DROP TABLE y" VALUES (1), (2), (3);
  INSERT INTO public."Ünïcode" VALUES (1, 'ä'), (2, '漢字');
  INSERT INTO public.audit (note) SELECT 'a' || g FROM generate_series(1, 50) g;
`
const SELECTED = ['public.customers', 'public.orders', '"odd.schema"."My ""quoted"" table"', 'public."x; DROP TABLE y"', 'public.Ünïcode']
const SELECTED_KEYS = ['public.customers', 'public.orders', 'odd.schema.My "quoted" table', 'public.x; DROP TABLE y', 'public.Ünïcode']

const source = await createEmptyDatabase(t, { prefix: 'partial_src' })
await psql(source.url, SCHEMA_SQL + DATA_SQL)
const expected = await fingerprint(source.url)
const planId = await h.databasePlan({ sourceServerId: serverId, sourceDatabase: source.name, destinationId: destination.id })
const backups: Record<'pg_custom' | 'pg_tar', string> = { pg_custom: '', pg_tar: '' }
for (const format of ['pg_custom', 'pg_tar'] as const) {
  const key = `${source.name}.${format}`
  await pgDump(source.url, format, join(destination.path, key))
  backups[format] = await h.backup({ planId, format, artifactKey: key, file: join(destination.path, key) })
}

/** Every relation outside `except` schemas, by oid, with the content fingerprint of every table. */
async function catalog(url: string, exceptSchemas: string[] = []) {
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  try {
    const rels = await sql<{ oid: number; what: string }[]>`
      SELECT c.oid::int AS oid, c.relkind::text || ' ' || n.nspname || '.' || c.relname AS what FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' ORDER BY 2`
    return rels.filter((r) => !exceptSchemas.some((s) => r.what.slice(2).startsWith(`${s}.`)))
  } finally {
    await sql.end({ timeout: 5 })
  }
}

function pick<T>(record: Record<string, T>, keys: string[]): Record<string, T> {
  return Object.fromEntries(keys.map((k) => [k, record[k] as T]))
}
function omit<T>(record: Record<string, T>, keys: string[]): Record<string, T> {
  return Object.fromEntries(Object.entries(record).filter(([k]) => !keys.includes(k)))
}

/** A target shaped like the source whose rows have changed since the backup. */
async function changedTarget(t: Teardown, extra = '') {
  const target = await createEmptyDatabase(t, { prefix: 'partial_tgt' })
  await psql(
    target.url,
    `${SCHEMA_SQL}${DATA_SQL}
    DELETE FROM public.orders WHERE id % 3 = 0; UPDATE public.customers SET name = name || '!'; DELETE FROM public."x; DROP TABLE y";
    INSERT INTO public.audit (note) VALUES ('after the backup'); ${extra}`,
  )
  return target
}

async function checks(restoreId: string) {
  const [row] = await h.db.sql<{ checks: Array<{ name: string; status: string; message: string }> }[]>`SELECT checks FROM restores WHERE id = ${restoreId}`
  return row?.checks ?? []
}

for (const format of ['pg_custom', 'pg_tar'] as const) {
  t.test(`${format}: into a new database, exactly the selected tables arrive, equal to the dump, with their sequences, indexes and triggers`, async (t) => {
    const name = `partial_new_${format}_${Date.now()}`
    t.teardown(() => psql(env.DEVPILOT_TEST_PG_URL, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))
    const id = await h.restore({ backupId: backups[format], planId, targetServerId: serverId, targetDatabase: name, include: { tables: SELECTED } })
    const row = await h.waitTerminal(id)
    t.equal(row.status, 'completed', `${row.error_code ?? ''} ${row.error_message ?? ''}`)
    const url = new URL(source.url)
    url.pathname = `/${name}`
    const got = await fingerprint(url.toString())
    t.same(got.tables, pick(expected.tables, SELECTED_KEYS), 'the selected tables, row for row, and nothing else')
    t.same(got.sequences, omit(expected.sequences, ['public.audit_id_seq']), 'owned sequences with their values')
    t.notOk(
      got.objects.some((o) => o.includes('audit')),
      'nothing of the unselected table',
    )
    t.ok(
      got.objects.some((o) => o.startsWith('index CREATE INDEX orders_total')),
      'indexes',
    )
    t.ok(
      got.objects.some((o) => o.startsWith('trigger CREATE TRIGGER orders_touch')),
      'triggers (and the function they need)',
    )
    t.ok(
      got.objects.some((o) => o.includes('orders_customer_id_fkey')),
      'a foreign key between two selected tables',
    )
    t.same(
      (await checks(id)).filter((c) => c.name === 'include').map((c) => [c.name, c.status]),
      [['include', 'passed']],
    )
  })
}

t.test('targetSchema: the selected table lands side by side in a new schema in one transaction; everything else untouched', async (t) => {
  const target = await changedTarget(t)
  const before = await catalog(target.url)
  const beforeData = await fingerprint(target.url)
  const id = await h.restore({
    backupId: backups.pg_custom,
    planId,
    targetServerId: serverId,
    targetDatabase: target.name,
    include: { tables: ['public.orders'] },
    targetSchema: 'recovered',
  })
  const row = await h.waitTerminal(id)
  t.equal(row.status, 'completed', `${row.error_code ?? ''} ${row.error_message ?? ''}`)
  const after = await fingerprint(target.url)
  t.equal(after.tables['recovered.orders'], expected.tables['public.orders'], 'the recovered table equals the dump')
  t.same(omit(after.tables, ['recovered.orders']), beforeData.tables, 'every live table keeps its content')
  t.same(await catalog(target.url, ['recovered']), before, 'every other relation is untouched by oid')
  const lost = await psql(target.url, 'SELECT count(*) FROM recovered.orders r WHERE NOT EXISTS (SELECT 1 FROM public.orders o WHERE o.id = r.id)')
  t.equal(lost, '66', 'the deleted rows are there to copy back')
  const comment = await psql(target.url, "SELECT coalesce(obj_description('recovered'::regnamespace, 'pg_namespace'), 'none')")
  t.equal(comment, 'none', "the restore's marker is cleared once completed")

  const again = await h.restore({
    backupId: backups.pg_custom,
    planId,
    targetServerId: serverId,
    targetDatabase: target.name,
    include: { tables: ['public.orders'] },
    targetSchema: 'recovered',
    overwrite: true,
  })
  const refused = await h.waitTerminal(again)
  t.equal(refused.error_code, 'target_not_empty', 'an existing targetSchema is refused, overwrite or not')
  t.match(refused.error_message, /"recovered" already exists/)
})

t.test('overwrite on replaces exactly the selected tables in one transaction; every other object keeps its oid and content', async (t) => {
  const target = await changedTarget(t)
  const selected = ['public.customers', 'public.orders', 'public.x; DROP TABLE y']
  const before = await catalog(target.url)
  const beforeData = await fingerprint(target.url)
  const id = await h.restore({
    backupId: backups.pg_tar,
    planId,
    targetServerId: serverId,
    targetDatabase: target.name,
    include: { tables: ['public.customers', 'public.orders', 'public."x; DROP TABLE y"'] },
    overwrite: true,
  })
  const row = await h.waitTerminal(id)
  t.equal(row.status, 'completed', `${row.error_code ?? ''} ${row.error_message ?? ''}`)
  const after = await fingerprint(target.url)
  t.same(pick(after.tables, selected), pick(expected.tables, selected), 'the selected tables equal the dump')
  t.same(omit(after.tables, selected), omit(beforeData.tables, selected), 'the other tables keep their content')
  const untouched = (rels: Array<{ oid: number; what: string }>) =>
    rels.filter((r) => !/ public\.(customers|orders|x; DROP TABLE y)/.test(r.what) && !/ public\.(customers_|orders_)/.test(r.what))
  t.same(untouched(await catalog(target.url)), untouched(before), 'every other relation keeps its oid')
  t.equal(after.sequences['public.customers_id_seq'], expected.sequences['public.customers_id_seq'], 'owned sequence values come back')
  t.ok(after.objects.includes(expected.objects.find((o) => o.includes('orders_customer_id_fkey')) ?? 'missing'), 'the foreign key between them is back')
})

t.test('objects outside the selection that depend on a selected table refuse the restore with dependent_objects; the target is unchanged', async (t) => {
  for (const [what, extra, pattern] of [
    ['a view', 'CREATE VIEW public.big_orders AS SELECT * FROM public.orders WHERE total > 100;', /view public\.big_orders/],
    [
      'a foreign key from an unselected table',
      'CREATE TABLE public.refunds (order_id bigint REFERENCES public.orders(id));',
      /constraint refunds_order_id_fkey on table public\.refunds/,
    ],
  ] as const) {
    const target = await changedTarget(t, extra)
    const before = await catalog(target.url)
    const beforeData = await fingerprint(target.url)
    const id = await h.restore({
      backupId: backups.pg_custom,
      planId,
      targetServerId: serverId,
      targetDatabase: target.name,
      include: { tables: ['public.orders'] },
      overwrite: true,
    })
    const row = await h.waitTerminal(id)
    t.equal(row.error_code, 'dependent_objects', what)
    t.match(row.error_message, pattern, `${what}: the message names it`)
    t.same(await catalog(target.url), before, `${what}: every relation keeps its oid`)
    t.same(await fingerprint(target.url), beforeData, `${what}: and its content`)
  }
})

t.test('overwrite off refuses when a selected table exists, and an unknown name fails the include check', async (t) => {
  const target = await changedTarget(t)
  const beforeData = await fingerprint(target.url)
  const id = await h.restore({
    backupId: backups.pg_custom,
    planId,
    targetServerId: serverId,
    targetDatabase: target.name,
    include: { tables: ['public.orders'] },
  })
  const row = await h.waitTerminal(id)
  t.equal(row.error_code, 'target_not_empty')
  t.match(row.error_message, /public\.orders/)

  const unknown = await h.restore({
    backupId: backups.pg_custom,
    planId,
    targetServerId: serverId,
    targetDatabase: target.name,
    include: { schemas: ['nowhere'], tables: ['public.orders', 'public.Orders', 'public."no such"'] },
    overwrite: true,
  })
  const failed = await h.waitTerminal(unknown)
  t.equal(failed.error_code, 'preflight_failed')
  t.match(failed.error_message, /^Preflight failed: include: unknown names /)
  for (const name of ['"nowhere"', '"public.Orders"', '"public.\\"no such\\""']) t.ok(failed.error_message?.includes(name), `the message lists ${name}`)
  t.same(
    (await checks(unknown)).filter((c) => c.name === 'include').map((c) => [c.name, c.status]),
    [['include', 'failed']],
  )
  t.same(await fingerprint(target.url), beforeData, 'the target is unchanged')
})

t.test('a partial restore that fails in the middle of the apply leaves the target as it was', async (t) => {
  // An index named like one of the restored table's, on another table: CREATE INDEX fails after the
  // selected table was already dropped and re-created inside the transaction.
  const target = await changedTarget(t, 'DROP INDEX public.orders_total; CREATE INDEX orders_total ON public.audit (note);')
  const before = await catalog(target.url)
  const beforeData = await fingerprint(target.url)
  const id = await h.restore({
    backupId: backups.pg_custom,
    planId,
    targetServerId: serverId,
    targetDatabase: target.name,
    include: { tables: ['public.orders'] },
    overwrite: true,
  })
  const row = await h.waitTerminal(id)
  t.equal(row.error_code, 'restore_tool_failed')
  t.match(row.error_message, /orders_total/)
  t.same(await catalog(target.url), before, 'every relation keeps its oid, the selected table included')
  t.same(await fingerprint(target.url), beforeData, 'and its content')
  const leftovers = await psql(
    env.DEVPILOT_TEST_PG_URL,
    `SELECT count(*) FROM pg_database WHERE datname LIKE '%__restore_%' AND datname LIKE '${target.name.slice(0, 20)}%'`,
  )
  t.equal(leftovers, '0', 'the scratch database was dropped')
})
