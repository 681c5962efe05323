// What a partial restore asks an existing target database before it touches it: which of the
// selected tables exist, whether the new schema exists (and carries this restore's marker), and
// which objects outside the selection depend on the selected tables. Names travel as query
// parameters only.
import type { QualifiedName } from '@devpilot/contracts'
import type postgres from 'postgres'

/** The selected tables that exist in the target (as regular or partitioned tables, or anything else of that name). */
export async function existingTables(sql: postgres.Sql, tables: readonly QualifiedName[]): Promise<QualifiedName[]> {
  if (tables.length === 0) return []
  const rows = await sql<{ schema: string; name: string }[]>`
    SELECT n.nspname AS schema, c.relname AS name
    FROM unnest(${sql.array(tables.map((t) => t.schema))}::text[], ${sql.array(tables.map((t) => t.name))}::text[]) AS s(schema, name)
    JOIN pg_namespace n ON n.nspname = s.schema
    JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.name
    ORDER BY 1, 2`
  return rows.map((r) => ({ schema: r.schema, name: r.name }))
}

/** The schema's comment when it exists (null comment = exists without one), undefined when it does not exist. */
export async function schemaComment(sql: postgres.Sql, schema: string): Promise<string | null | undefined> {
  const [row] = await sql<{ comment: string | null }[]>`SELECT obj_description(oid, 'pg_namespace') AS comment FROM pg_namespace WHERE nspname = ${schema}`
  return row === undefined ? undefined : row.comment
}

/**
 * Objects outside the selection that depend on a selected table: foreign keys from other tables,
 * views and materialized views, functions with SQL-standard bodies, columns and functions using the
 * table's row type. What belongs to a selected table itself (its constraints, indexes, defaults,
 * triggers, rules, policies, owned sequences) does not count.
 */
export async function dependentObjects(sql: postgres.Sql, tables: readonly QualifiedName[]): Promise<string[]> {
  if (tables.length === 0) return []
  // An empty search_path makes pg_describe_object qualify every name with its schema.
  const rows = await sql.begin(async (tx) => {
    await tx`SET LOCAL search_path = ''`
    return tx<{ what: string }[]>`
    WITH selected AS (
      SELECT c.oid, c.reltype
      FROM unnest(${tx.array(tables.map((t) => t.schema))}::text[], ${tx.array(tables.map((t) => t.name))}::text[]) AS s(schema, name)
      JOIN pg_namespace n ON n.nspname = s.schema
      JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.name
    ),
    refs AS (
      SELECT d.classid, d.objid FROM pg_depend d
      WHERE d.deptype = 'n'
        AND ((d.refclassid = 'pg_class'::regclass AND d.refobjid IN (SELECT oid FROM selected))
          OR (d.refclassid = 'pg_type'::regclass AND d.refobjid IN (SELECT reltype FROM selected)))
    ),
    owner_rel AS (
      -- The relation a dependent object belongs to (a view's rule → the view), or null.
      SELECT r.classid, r.objid,
        CASE r.classid
          WHEN 'pg_constraint'::regclass THEN (SELECT conrelid FROM pg_constraint WHERE oid = r.objid)
          WHEN 'pg_rewrite'::regclass THEN (SELECT ev_class FROM pg_rewrite WHERE oid = r.objid)
          WHEN 'pg_attrdef'::regclass THEN (SELECT adrelid FROM pg_attrdef WHERE oid = r.objid)
          WHEN 'pg_trigger'::regclass THEN (SELECT tgrelid FROM pg_trigger WHERE oid = r.objid)
          WHEN 'pg_policy'::regclass THEN (SELECT polrelid FROM pg_policy WHERE oid = r.objid)
          WHEN 'pg_class'::regclass THEN r.objid
        END AS relid
      FROM refs r
    )
    SELECT DISTINCT
      CASE WHEN o.classid = 'pg_rewrite'::regclass THEN pg_describe_object('pg_class'::regclass, o.relid, 0)
           ELSE pg_describe_object(o.classid, o.objid, 0) END AS what
    FROM owner_rel o
    WHERE o.relid IS NULL OR o.relid NOT IN (SELECT oid FROM selected)
    ORDER BY 1`
  })
  return rows.map((r) => r.what)
}
