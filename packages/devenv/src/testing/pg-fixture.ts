// A source database with the shapes that break naive restores (bytea, jsonb, arrays, numeric,
// timestamptz, large text, sequences, identity, views, functions, triggers, indexes, constraints,
// an enum, a second schema, a table owned by a role and a grant), and a fingerprint that compares
// two databases table by table, row by row, object by object.

import postgres from 'postgres'
import { psql } from './artifacts.js'
import { adminQuery, databaseUrl, uniqueName } from './databases.js'

export const FIXTURE_SQL = (owner: string, reader: string) => `
CREATE SCHEMA app2;
CREATE TYPE app2.mood AS ENUM ('ok', 'meh', 'great');
CREATE SEQUENCE public.counter_seq START 100;
CREATE TABLE public.items (
  id serial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  payload jsonb,
  tags text[],
  price numeric(30, 10) CHECK (price >= 0),
  at timestamptz,
  blob bytea,
  big text,
  mood app2.mood
);
CREATE INDEX items_payload_idx ON public.items USING gin (payload);
CREATE INDEX items_lower_name_idx ON public.items (lower(name));
INSERT INTO public.items (name, payload, tags, price, at, blob, big, mood)
SELECT 'item ' || i || ' ünïcødé ✓',
       jsonb_build_object('i', i, 'nested', jsonb_build_object('even', i % 2 = 0), 'list', jsonb_build_array(i, 'x', null)),
       ARRAY['t' || i, 'quote''s', 'comma,here', NULL],
       (i * 1234567.0123456789)::numeric(30, 10),
       timestamptz '2024-02-29 23:59:59.123456+00' + (i || ' minutes')::interval,
       decode(md5(i::text) || md5((i * 7)::text), 'hex') || '\\x00ff00'::bytea,
       CASE WHEN i % 10 = 0 THEN repeat('large text line ' || i || E'\\n', 4000) ELSE 'short\\ttab' END,
       (ARRAY['ok', 'meh', 'great'])[1 + i % 3]::app2.mood
FROM generate_series(1, 150) AS i;
SELECT setval('public.counter_seq', 4242);
CREATE TABLE app2.orders (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  item_id int NOT NULL REFERENCES public.items (id) ON DELETE CASCADE,
  qty int NOT NULL CHECK (qty > 0),
  note text
);
CREATE FUNCTION app2.default_note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.note := coalesce(NEW.note, 'auto:' || NEW.qty);
  RETURN NEW;
END
$$;
CREATE TRIGGER orders_default_note BEFORE INSERT ON app2.orders FOR EACH ROW EXECUTE FUNCTION app2.default_note();
INSERT INTO app2.orders (item_id, qty, note) SELECT 1 + (i % 150), 1 + i % 5, CASE WHEN i % 3 = 0 THEN NULL ELSE 'n' || i END FROM generate_series(1, 300) AS i;
CREATE VIEW app2.order_totals AS SELECT i.name, sum(o.qty) AS qty FROM app2.orders o JOIN public.items i ON i.id = o.item_id GROUP BY i.name;
CREATE FUNCTION public.price_with_tax(p numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ SELECT p * 1.2 $$;
CREATE TABLE public.owned (id int PRIMARY KEY, v text);
INSERT INTO public.owned VALUES (1, 'a'), (2, 'b');
ALTER TABLE public.owned OWNER TO ${owner};
GRANT SELECT ON public.items TO ${reader};
`

/** Roles for the fixture (cluster-wide, unique per call). Only the first cluster gets them. */
export async function createFixtureRoles(clusterUrl: string): Promise<{ owner: string; reader: string }> {
  const owner = uniqueName('owner')
  const reader = uniqueName('reader')
  await adminQuery(clusterUrl, `CREATE ROLE ${owner}`)
  await adminQuery(clusterUrl, `CREATE ROLE ${reader}`)
  return { owner, reader }
}

export async function createFixtureDatabase(
  clusterUrl: string,
  roles: { owner: string; reader: string },
  name = uniqueName('src'),
): Promise<{ name: string; url: string }> {
  await adminQuery(clusterUrl, `CREATE DATABASE "${name}"`)
  const url = databaseUrl(clusterUrl, name)
  await psql(url, FIXTURE_SQL(roles.owner, roles.reader))
  return { name, url }
}

export interface Fingerprint {
  tables: Record<string, string>
  sequences: Record<string, string>
  objects: string[]
}

/** Every table's rows (as text, sorted), every sequence's state and every object's definition. */
/** A quoted identifier: test fixtures have names with quotes in them too. */
const ident = (name: string) => `"${name.replace(/"/g, '""')}"`

export async function fingerprint(url: string): Promise<Fingerprint> {
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  try {
    const tables = await sql<{ schema: string; name: string }[]>`
      SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' ORDER BY 1, 2`
    const out: Fingerprint = { tables: {}, sequences: {}, objects: [] }
    for (const { schema, name } of tables) {
      const [row] = await sql.unsafe<{ rows: string | null; md5: string | null }[]>(
        `SELECT count(*)::text || ' rows, md5 ' || md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS md5 FROM ${ident(schema)}.${ident(name)} t`,
      )
      out.tables[`${schema}.${name}`] = row?.md5 ?? ''
    }
    const sequences = await sql<{ schema: string; name: string }[]>`
      SELECT schemaname AS schema, sequencename AS name FROM pg_sequences ORDER BY 1, 2`
    for (const { schema, name } of sequences) {
      const [row] = await sql.unsafe<{ v: string }[]>(`SELECT last_value::text || ':' || is_called::text AS v FROM ${ident(schema)}.${ident(name)}`)
      out.sequences[`${schema}.${name}`] = row?.v ?? ''
    }
    const objects = await sql<{ def: string }[]>`
      SELECT 'view ' || schemaname || '.' || viewname || ': ' || definition AS def FROM pg_views WHERE schemaname !~ '^pg_' AND schemaname <> 'information_schema'
      UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname !~ '^pg_' AND schemaname <> 'information_schema'
      UNION ALL SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ': ' || pg_get_constraintdef(oid) FROM pg_constraint
        WHERE connamespace::regnamespace::text !~ '^pg_' AND connamespace::regnamespace::text <> 'information_schema'
      UNION ALL SELECT 'function ' || pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
      UNION ALL SELECT 'trigger ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal
      UNION ALL SELECT 'type ' || t.typname || ': ' || array_to_string(array(SELECT enumlabel FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY enumsortorder), ',')
        FROM pg_type t WHERE t.typtype = 'e'
      ORDER BY 1`
    out.objects = objects.map((o) => o.def)
    return out
  } finally {
    await sql.end({ timeout: 5 })
  }
}

export async function tableOwner(url: string, table: string): Promise<string | null> {
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  try {
    const [row] = await sql<{ owner: string }[]>`SELECT tableowner AS owner FROM pg_tables WHERE schemaname || '.' || tablename = ${table}`
    return row?.owner ?? null
  } finally {
    await sql.end({ timeout: 5 })
  }
}

export async function tableAcl(url: string, table: string): Promise<string | null> {
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  try {
    const [row] = await sql<{ acl: string | null }[]>`SELECT relacl::text AS acl FROM pg_class WHERE oid = ${table}::regclass`
    return row?.acl ?? null
  } finally {
    await sql.end({ timeout: 5 })
  }
}
