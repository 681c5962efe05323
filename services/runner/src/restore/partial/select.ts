// Which entries of a dump's table of contents a partial restore takes, decided on the TOC's own
// dependency graph (never on names printed by `pg_restore -l`):
//   - the selected TABLE entries, and for a selected schema every entry in it and its SCHEMA entry;
//   - partitions and inheritance children of a selected table;
//   - what belongs to a selected entry (data, indexes, constraints, defaults, triggers, rules,
//     policies, comments, grants, owned sequences with their values and OWNED BY): an entry of those
//     kinds is taken when it depends on a taken entry and on no relation left out, so a foreign key
//     is taken only between selected tables;
//   - what the taken entries need to be created at all and is not a relation (types, domains,
//     functions, collations, extensions, the schemas they live in), so a table whose column is an
//     enum restores; these prerequisites go into the scratch database, and only the tables go on
//     into an existing target.
// The result is a `pg_restore -L` list of dump ids only: no name ever reaches the list file.
import { formatQualifiedName, parseQualifiedName, type QualifiedName } from '@devpilot/contracts'
import type { TocEntry } from './toc.js'

/** Entry kinds that are part of the object they depend on. */
const BELONGING = new Set([
  'TABLE DATA',
  'INDEX',
  'INDEX ATTACH',
  'CONSTRAINT',
  'CHECK CONSTRAINT',
  'FK CONSTRAINT',
  'DEFAULT',
  'TRIGGER',
  'RULE',
  'POLICY',
  'ROW SECURITY',
  'COMMENT',
  'ACL',
  'SECURITY LABEL',
  'SEQUENCE',
  'SEQUENCE SET',
  'SEQUENCE OWNED BY',
  'STATISTICS',
  'STATISTICS DATA',
  'TABLE ATTACH',
])

/** Relations: never taken as a mere prerequisite (a view or a table stays out unless selected). */
const RELATIONS = new Set(['TABLE', 'VIEW', 'MATERIALIZED VIEW', 'FOREIGN TABLE', 'SEQUENCE', 'MATERIALIZED VIEW DATA'])

/** Entries every list keeps: session settings pg_restore applies before anything else. */
const SETTINGS = new Set(['ENCODING', 'STDSTRINGS', 'SEARCHPATH'])

/** Kinds never taken as prerequisites: whole-database or large-object entries. */
const NEVER = new Set(['DATABASE', 'DATABASE PROPERTIES', 'BLOB', 'BLOBS', 'BLOB METADATA', 'LARGE OBJECT', 'PUBLICATION', 'PUBLICATION TABLE', 'SUBSCRIPTION'])

export interface DatabaseSelection {
  /** Dump ids for the `-L` list, in TOC order. */
  ids: number[]
  /** The tables taken (selected ones, the tables of selected schemas, their partitions). */
  tables: QualifiedName[]
  /** Selected names the dump does not have, as the request wrote them. */
  unknown: string[]
}

const key = (schema: string, name: string) => JSON.stringify([schema, name])

export function selectEntries(entries: readonly TocEntry[], include: { schemas?: string[] | undefined; tables?: string[] | undefined }): DatabaseSelection {
  const byId = new Map(entries.map((e) => [e.id, e]))
  const tableEntries = new Map(entries.filter((e) => e.desc === 'TABLE').map((e) => [key(e.namespace, e.tag), e]))
  const schemas = new Set(include.schemas ?? [])
  const taken = new Set<number>()
  const unknown: string[] = []

  for (const text of include.tables ?? []) {
    const name = parseQualifiedName(text)
    const entry = 'error' in name ? undefined : tableEntries.get(key(name.schema, name.name))
    if (entry) taken.add(entry.id)
    else unknown.push(text)
  }
  for (const schema of schemas) {
    const inSchema = entries.filter(
      (e) => (e.namespace === schema && !BELONGING.has(e.desc) && !NEVER.has(e.desc)) || (e.desc === 'SCHEMA' && e.tag === schema),
    )
    if (inSchema.length === 0) unknown.push(schema)
    for (const e of inSchema) taken.add(e.id)
  }

  const isTakenRelation = (id: number) => taken.has(id)
  let changed = true
  while (changed) {
    changed = false
    for (const e of entries) {
      if (taken.has(e.id)) continue
      const deps = e.deps.map((d) => byId.get(d)).filter((d): d is TocEntry => d !== undefined)
      // Partitions and inheritance children of a taken table.
      const child = e.desc === 'TABLE' && deps.some((d) => d.desc === 'TABLE' && isTakenRelation(d.id))
      // Belongs to a taken entry and needs no relation that is left out.
      const belongs =
        BELONGING.has(e.desc) && deps.some((d) => taken.has(d.id)) && deps.every((d) => taken.has(d.id) || (!RELATIONS.has(d.desc) && !BELONGING.has(d.desc)))
      if (child || belongs) {
        taken.add(e.id)
        changed = true
      }
    }
  }

  // Prerequisites that are not relations: types, functions, schemas… and what they need in turn.
  const pending = [...taken]
  while (pending.length > 0) {
    const id = pending.pop() as number
    for (const dep of byId.get(id)?.deps ?? []) {
      const d = byId.get(dep)
      if (!d || taken.has(d.id) || RELATIONS.has(d.desc) || BELONGING.has(d.desc) || NEVER.has(d.desc) || SETTINGS.has(d.desc)) continue
      taken.add(d.id)
      pending.push(d.id)
    }
  }

  const ids = entries.filter((e) => taken.has(e.id) || SETTINGS.has(e.desc)).map((e) => e.id)
  const tables = entries.filter((e) => e.desc === 'TABLE' && taken.has(e.id)).map((e) => ({ schema: e.namespace, name: e.tag }))
  return { ids, tables, unknown }
}

/** The `-L` list file's text: one dump id a line. */
export function listFileText(ids: readonly number[]): string {
  return `${ids.map((id) => String(id)).join('\n')}\n`
}

/** Names for messages: schema-qualified, quoted where needed. */
export function describeTables(tables: readonly QualifiedName[], max = 10): string {
  const shown = tables.slice(0, max).map(formatQualifiedName)
  return tables.length > max ? `${shown.join(', ')} and ${tables.length - max} more` : shown.join(', ')
}
