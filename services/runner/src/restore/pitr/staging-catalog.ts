// The shape of the restored snapshot's tables, read once from the staging database before replay.
// DDL is not in the stream and the staging schema does not change while replaying, so one read
// serves the whole replay: it says which columns the target computes itself (stored generated
// columns) and which tables and columns exist at all, so a change made after the schema moved is
// named as such instead of failing somewhere inside PostgreSQL.
import type postgres from 'postgres'

export interface CatalogColumn {
  name: string
  /** A stored generated column: the target computes it, so replay never writes it. */
  generated: boolean
  /** GENERATED ALWAYS AS IDENTITY: an insert needs OVERRIDING SYSTEM VALUE, an update may only set DEFAULT. */
  identityAlways: boolean
  /** NOT NULL without a default: an insert that leaves it out cannot apply. */
  required: boolean
  typeOid: number
  /** format_type() of the column in the staging database. */
  type: string
}

export interface CatalogTable {
  columns: ReadonlyMap<string, CatalogColumn>
}

export interface StagingCatalog {
  table(schema: string, table: string): CatalogTable | undefined
}

function key(schema: string, table: string): string {
  return JSON.stringify([schema, table])
}

export async function loadStagingCatalog(sql: postgres.Sql): Promise<StagingCatalog> {
  const rows = await sql<
    Array<{ schema: string; table: string; column: string; generated: boolean; identity_always: boolean; required: boolean; type_oid: number; type: string }>
  >`
    SELECT n.nspname AS schema, c.relname AS table, a.attname AS column, a.attgenerated = 's' AS generated, a.attidentity = 'a' AS identity_always,
           a.attnotnull AND NOT a.atthasdef AND a.attidentity = '' AS required,
           a.atttypid::int AS type_oid, format_type(a.atttypid, a.atttypmod) AS type
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    WHERE c.relkind IN ('r', 'p') AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'`
  const tables = new Map<string, { columns: Map<string, CatalogColumn> }>()
  for (const row of rows) {
    const k = key(row.schema, row.table)
    let table = tables.get(k)
    if (!table) {
      table = { columns: new Map() }
      tables.set(k, table)
    }
    table.columns.set(row.column, {
      name: row.column,
      generated: row.generated,
      identityAlways: row.identity_always,
      required: row.required,
      typeOid: row.type_oid,
      type: row.type,
    })
  }
  return { table: (schema, table) => tables.get(key(schema, table)) }
}
