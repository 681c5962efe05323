// The change list of a preview (DESIGN.md "Preview"): which objects a restore would create,
// replace or drop. Databases: the dump's table of contents against the target's catalog, object
// kinds compared by schema-qualified name; files: archive members against the target tree. Counts
// cover everything; `items` stops at PREVIEW_MAX_ITEMS (creates, then replaces, then drops).
import { PREVIEW_MAX_ITEMS, type PreviewItem, type RestorePreview } from '@devpilot/contracts'
import type postgres from 'postgres'
import { connectTarget, type TargetServer } from '../restore/pg-target.js'
import type { DumpCatalog, DumpEntry } from './dump-catalog.js'
import { type MemberState, replaces } from './files.js'

type Changes = NonNullable<RestorePreview['changes']>

/** pg_dump's entry types that are objects of their own, and the preview's kind for each. */
const KIND_OF_TYPE: Record<string, string> = {
  SCHEMA: 'schema',
  TABLE: 'table',
  'FOREIGN TABLE': 'foreign_table',
  VIEW: 'view',
  'MATERIALIZED VIEW': 'materialized_view',
  SEQUENCE: 'sequence',
  FUNCTION: 'function',
  PROCEDURE: 'function',
  AGGREGATE: 'function',
  TYPE: 'type',
  DOMAIN: 'type',
  EXTENSION: 'extension',
  INDEX: 'index',
  TRIGGER: 'trigger',
}

/** `kind name` → key; names as the catalog query below spells them. */
function dumpObject(entry: DumpEntry): { kind: string; name: string } | null {
  const kind = KIND_OF_TYPE[entry.type]
  if (!kind) return null
  if (kind === 'schema' || kind === 'extension') return entry.name === 'public' && kind === 'schema' ? null : { kind, name: entry.name }
  // A trigger's tag is `<table> <trigger>`.
  const name = kind === 'trigger' ? entry.name.replace(' ', '.') : entry.name
  return { kind, name: `${entry.schema ?? 'public'}.${name}` }
}

interface TargetObject {
  kind: string
  name: string
  rows: number | null
}

/** The target's user objects in the kinds a dump lists (extension members and the public schema left out). */
async function targetObjects(sql: postgres.Sql): Promise<TargetObject[]> {
  const rows = await sql<{ kind: string; name: string; rows: string | null }[]>`
    WITH user_ns AS (SELECT oid, nspname FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'),
    ext_members AS (SELECT classid, objid FROM pg_depend WHERE deptype = 'e')
    SELECT 'schema' AS kind, nspname AS name, NULL::text AS rows FROM user_ns
      WHERE nspname <> 'public' AND NOT EXISTS (SELECT 1 FROM ext_members e WHERE e.classid = 'pg_namespace'::regclass AND e.objid = user_ns.oid)
    UNION ALL
    SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'f' THEN 'foreign_table' WHEN 'v' THEN 'view'
                          WHEN 'm' THEN 'materialized_view' WHEN 'S' THEN 'sequence' ELSE 'index' END,
           n.nspname || '.' || c.relname,
           CASE WHEN c.relkind IN ('r', 'p', 'm') THEN COALESCE(NULLIF(c.reltuples, -1)::bigint, s.n_live_tup)::text END
    FROM pg_class c JOIN user_ns n ON n.oid = c.relnamespace LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
    WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S', 'i', 'I')
      AND NOT EXISTS (SELECT 1 FROM ext_members e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid)
      -- Indexes that back a constraint are part of the constraint, which the dump lists with its table.
      AND NOT (c.relkind IN ('i', 'I') AND EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid AND k.contype IN ('p', 'u', 'x')))
      AND NOT (c.relkind IN ('i', 'I') AND EXISTS (SELECT 1 FROM pg_index x WHERE x.indexrelid = c.oid AND x.indrelid IN (SELECT objid FROM ext_members)))
    UNION ALL
    SELECT 'function', n.nspname || '.' || p.proname || '(' || oidvectortypes(p.proargtypes) || ')', NULL
    FROM pg_proc p JOIN user_ns n ON n.oid = p.pronamespace
    WHERE NOT EXISTS (SELECT 1 FROM ext_members e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid)
    UNION ALL
    SELECT 'type', n.nspname || '.' || t.typname, NULL
    FROM pg_type t JOIN user_ns n ON n.oid = t.typnamespace
    WHERE t.typtype IN ('b', 'c', 'd', 'e', 'r') AND t.typcategory <> 'A'
      AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
      AND NOT EXISTS (SELECT 1 FROM ext_members e WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid)
    UNION ALL
    SELECT 'extension', extname, NULL FROM pg_extension WHERE extname <> 'plpgsql'
    UNION ALL
    SELECT 'trigger', n.nspname || '.' || c.relname || '.' || g.tgname, NULL
    FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid JOIN user_ns n ON n.oid = c.relnamespace
    WHERE NOT g.tgisinternal`
  return rows.map((r) => ({ kind: r.kind, name: r.name, rows: r.rows === null ? null : Number(r.rows) }))
}

/** The database change list; the target database is read only when it exists. */
export async function databaseChanges(params: {
  catalog: DumpCatalog
  server: TargetServer
  targetDatabase: string
  targetExists: boolean
  overwrite: boolean
}): Promise<Changes | null> {
  if (!params.catalog.hasToc) return null
  const wanted = new Map<string, { kind: string; name: string }>()
  for (const entry of params.catalog.entries) {
    const object = dumpObject(entry)
    if (object) wanted.set(`${object.kind} ${object.name}`, object)
  }
  let present: TargetObject[] = []
  if (params.targetExists) {
    const sql = await connectTarget(params.server, params.targetDatabase)
    try {
      present = await targetObjects(sql)
    } finally {
      await sql.end({ timeout: 5 })
    }
  }
  const now = new Map(present.map((o) => [`${o.kind} ${o.name}`, o]))
  const create: PreviewItem[] = []
  const replace: PreviewItem[] = []
  for (const [key, object] of wanted) {
    const existing = now.get(key)
    if (existing) replace.push({ action: 'replace', kind: object.kind, name: object.name, rowsNow: existing.rows })
    else create.push({ action: 'create', kind: object.kind, name: object.name, rowsNow: null })
  }
  // Overwrite on: the target ends equal to the dump, so what the dump lacks is dropped. Off: nothing is.
  const drop: PreviewItem[] = params.overwrite
    ? present.filter((o) => !wanted.has(`${o.kind} ${o.name}`)).map((o) => ({ action: 'drop', kind: o.kind, name: o.name, rowsNow: o.rows }))
    : []
  return toChanges(create, replace, drop)
}

/** The file change list: members that create or replace a path (a directory merging into one changes nothing). */
export function fileChanges(members: MemberState[]): Changes {
  const create: PreviewItem[] = []
  const replace: PreviewItem[] = []
  for (const m of members) {
    if (m.kind === 'other') continue
    if (m.existing === null) create.push({ action: 'create', kind: m.kind, name: m.path, rowsNow: null })
    else if (replaces(m)) replace.push({ action: 'replace', kind: m.kind, name: m.path, rowsNow: null })
  }
  return toChanges(create, replace, [])
}

function byKindAndName(a: PreviewItem, b: PreviewItem): number {
  return a.kind === b.kind ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.kind < b.kind ? -1 : 1
}

function toChanges(create: PreviewItem[], replace: PreviewItem[], drop: PreviewItem[]): Changes {
  const all = [...create.sort(byKindAndName), ...replace.sort(byKindAndName), ...drop.sort(byKindAndName)]
  return {
    create: create.length,
    replace: replace.length,
    drop: drop.length,
    items: all.slice(0, PREVIEW_MAX_ITEMS),
    truncated: all.length > PREVIEW_MAX_ITEMS,
  }
}
