// A partial restore's selection (`include`, `targetSchema`), checked before any record exists.
// Database backups select `schemas` and `tables` (`schema.table`, parsed by contracts'
// parseQualifiedName, exactly as the runner will); file backups select `paths`, relative and
// without `..`. Bad selections are 400 validation_failed naming the field; a dump without a table
// of contents (plain SQL) cannot be restored partially: 422 partial_unsupported.
import { AppError, type BackupFormat, formatQualifiedName, parseQualifiedName, type RestoreInclude } from '@devpilot/contracts'

export interface PartialSelection {
  include: RestoreInclude | null
  targetSchema: string | null
}

function invalid(field: string, message: string): AppError {
  return new AppError('validation_failed', `${field}: ${message}.`, { details: { errors: [{ path: `body.${field}`, message }] } })
}

/** Bytes PostgreSQL keeps of an identifier (NAMEDATALEN - 1). */
const MAX_IDENTIFIER_BYTES = 63

function checkSchemaName(field: string, name: string): void {
  if (Buffer.byteLength(name) > MAX_IDENTIFIER_BYTES) throw invalid(field, `the schema name is longer than ${MAX_IDENTIFIER_BYTES} bytes`)
  if (name.includes('\0')) throw invalid(field, 'a schema name cannot contain a NUL character')
}

function databaseSelection(include: RestoreInclude): RestoreInclude {
  if (include.paths !== undefined) throw invalid('include.paths', 'a database backup selects schemas and tables, not paths')
  const schemas = include.schemas ?? []
  const tables = include.tables ?? []
  if (schemas.length + tables.length === 0) throw invalid('include', 'the selection is empty: name at least one schema or table')
  const seenSchemas = new Set<string>()
  schemas.forEach((schema, i) => {
    checkSchemaName(`include.schemas.${i}`, schema)
    if (seenSchemas.has(schema)) throw invalid(`include.schemas.${i}`, `schema ${JSON.stringify(schema)} is selected twice`)
    seenSchemas.add(schema)
  })
  const seenTables = new Set<string>()
  tables.forEach((text, i) => {
    const parsed = parseQualifiedName(text)
    if ('error' in parsed) throw invalid(`include.tables.${i}`, `${JSON.stringify(text)} is not schema.table: ${parsed.error}`)
    if (text.includes('\0')) throw invalid(`include.tables.${i}`, 'a table name cannot contain a NUL character')
    const canonical = formatQualifiedName(parsed)
    if (seenTables.has(canonical)) throw invalid(`include.tables.${i}`, `table ${canonical} is selected twice`)
    if (seenSchemas.has(parsed.schema))
      throw invalid(`include.tables.${i}`, `table ${canonical} is already selected with its schema ${JSON.stringify(parsed.schema)}`)
    seenTables.add(canonical)
  })
  return { ...(include.schemas ? { schemas } : {}), ...(include.tables ? { tables } : {}) }
}

/** A path as the archive names it: no leading `./`, no trailing or repeated `/`. */
function normalisePath(field: string, path: string): string {
  if (path.includes('\0')) throw invalid(field, 'a path cannot contain a NUL character')
  if (path.startsWith('/')) throw invalid(field, `${JSON.stringify(path)} is absolute; name paths relative to the archive's root`)
  const parts = path.split('/').filter((p) => p !== '' && p !== '.')
  if (parts.includes('..')) throw invalid(field, `${JSON.stringify(path)} contains '..'; name paths inside the archive`)
  if (parts.length === 0) throw invalid(field, `${JSON.stringify(path)} names the archive's root; leave include out to restore everything`)
  return parts.join('/')
}

function fileSelection(include: RestoreInclude): RestoreInclude {
  if (include.schemas !== undefined) throw invalid('include.schemas', 'a files backup selects paths, not schemas')
  if (include.tables !== undefined) throw invalid('include.tables', 'a files backup selects paths, not tables')
  const paths = include.paths ?? []
  if (paths.length === 0) throw invalid('include.paths', 'the selection is empty: name at least one path')
  const normalised = paths.map((p, i) => normalisePath(`include.paths.${i}`, p))
  normalised.forEach((path, i) => {
    normalised.forEach((other, j) => {
      if (i === j) return
      if (path === other && j < i) throw invalid(`include.paths.${i}`, `${JSON.stringify(path)} is selected twice`)
      if (path.startsWith(`${other}/`)) throw invalid(`include.paths.${i}`, `${JSON.stringify(path)} is already selected with ${JSON.stringify(other)}`)
    })
  })
  return { paths: normalised }
}

/**
 * The selection to store on the record (null for a whole restore), or the refusal. `kind` is the
 * effective target's kind; `format` the backup's.
 */
export function checkPartialSelection(
  body: { include?: RestoreInclude | undefined; targetSchema?: string | null | undefined },
  kind: 'database' | 'files',
  format: BackupFormat,
): PartialSelection {
  const targetSchema = body.targetSchema ?? null
  if (body.include === undefined) {
    if (targetSchema !== null) throw invalid('targetSchema', 'only a partial restore (include with schemas or tables) lands in a new schema')
    return { include: null, targetSchema: null }
  }
  if (kind === 'files') {
    if (targetSchema !== null) throw invalid('targetSchema', 'a files backup has no schemas')
    return { include: fileSelection(body.include), targetSchema: null }
  }
  const include = databaseSelection(body.include)
  if (targetSchema !== null) {
    checkSchemaName('targetSchema', targetSchema)
    if (/^pg_/i.test(targetSchema) || targetSchema === 'information_schema') {
      throw invalid('targetSchema', `${JSON.stringify(targetSchema)} is a reserved schema name; pick another`)
    }
  }
  if (format === 'pg_plain' || format === 'pg_plain_gz') {
    throw new AppError(
      'partial_unsupported',
      `A ${format} backup is a plain SQL script without a table of contents, so single schemas or tables cannot be picked out of it; restore it whole (into another database) instead.`,
    )
  }
  return { include, targetSchema }
}
