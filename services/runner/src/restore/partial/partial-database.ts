// Partial database restores (`include.schemas`/`include.tables`, pg_custom and pg_tar). The dump's
// table of contents is read from the head of the artifact (toc.ts), the entries chosen on its
// dependency graph (select.ts) and restored with `pg_restore -L <ids>` into a SCRATCH database on
// the target server. Only then is the target changed, in one of three ways:
//   - the target database does not exist: the scratch database is swapped in, like a whole restore;
//   - `targetSchema`: the selected tables are moved into that new schema in scratch and copied into
//     the target in ONE transaction (refused when the schema exists);
//   - otherwise the selected tables are replaced (overwrite on; refused with dependent_objects when
//     objects outside the selection depend on them) or created (overwrite off, refused when any
//     exists) in ONE transaction.
// The copy is `pg_dump` of the scratch tables piped through the plain-SQL guard into psql, inside
// BEGIN … COMMIT where COMMIT is only sent after pg_dump succeeded: a failure anywhere leaves the
// target as it was. The scratch database is always dropped.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import type { PreflightCheck, QualifiedName, RestoreInclude } from '@devpilot/contracts'
import { execa } from 'execa'
import type postgres from 'postgres'
import { restoreError } from '../../errors.js'
import { stderrTail, TailBuffer } from '../../scrub.js'
import { childEnv, feedTool, type StreamStage } from '../feed-tool.js'
import { connectTarget, conninfoDbname, libpqEnv, quoteIdent, quoteLiteral, stagingDatabaseNames, swapMarker } from '../pg-target.js'
import { PlainSqlGuard } from '../plain-sql-guard.js'
import { clearSwapMarker, type DatabaseRestoreParams, type DatabaseRestoreResult, describeDatabase, dropRestoreLeftovers, swapIn } from '../postgres.js'
import { describeTables, listFileText, selectEntries } from './select.js'
import { dependentObjects, existingTables, schemaComment } from './target-catalog.js'
import { readTableOfContents } from './toc.js'

export interface PartialDatabaseParams extends Omit<DatabaseRestoreParams, 'afterStagingRestore'> {
  include: RestoreInclude
  targetSchema: string | null
  /** Stores a preflight check on the record (the `include` check). */
  recordCheck(check: PreflightCheck): Promise<void>
}

type Mode = { kind: 'new' } | { kind: 'schema'; schema: string } | { kind: 'tables' }

/** A pg_dump -t/-n pattern matching exactly this name (quoted: no wildcard, no case folding). */
function exactPattern(...parts: string[]): string {
  return parts.map((p) => `"${p.replace(/"/g, '""')}"`).join('.')
}

async function readSelection(params: PartialDatabaseParams) {
  const [source] = (await params.openInput()).stages
  if (!source) throw new Error('the artifact has no stream')
  const format = params.format === 'pg_tar' ? 'pg_tar' : 'pg_custom'
  try {
    const toc = await readTableOfContents(source as AsyncIterable<Buffer>, format)
    return { toc, selection: selectEntries(toc.entries, params.include) }
  } finally {
    // Only the head was needed: stop the download. The second read (the restore) verifies the sha256.
    ;(source as Readable).destroy?.()
  }
}

async function failCheck(params: PartialDatabaseParams, message: string): Promise<never> {
  await params.recordCheck({ name: 'include', status: 'failed', message })
  throw restoreError('preflight_failed', `Preflight failed: ${message} The target was not changed.`)
}

/** Refusals that need only the target's catalog: checked before anything is created. */
async function refuseTarget(params: PartialDatabaseParams, target: postgres.Sql, mode: Mode, tables: QualifiedName[]): Promise<void> {
  if (mode.kind === 'schema') {
    if ((await schemaComment(target, mode.schema)) !== undefined) {
      throw restoreError(
        'target_not_empty',
        `The schema ${quoteIdent(mode.schema)} already exists in ${params.targetDatabase}; a partial restore with targetSchema lands in a new schema. Pick another targetSchema or drop that schema. The target was not changed.`,
      )
    }
    return
  }
  if (mode.kind !== 'tables') return
  const existing = await existingTables(target, tables)
  if (existing.length > 0 && !params.overwrite) {
    throw restoreError(
      'target_not_empty',
      `The target database ${params.targetDatabase} already has ${describeTables(existing)}; restore with overwrite on to replace exactly the selected tables, or with targetSchema to land them side by side. The target was not changed.`,
    )
  }
  const dependents = await dependentObjects(target, existing)
  if (dependents.length > 0) {
    const shown = dependents.slice(0, 10).join('; ')
    throw restoreError(
      'dependent_objects',
      `Objects outside the selection depend on the tables to replace: ${shown}${dependents.length > 10 ? ` and ${dependents.length - 10} more` : ''}. Add their tables to the selection, drop them first, or restore with targetSchema instead. The target was not changed.`,
    )
  }
}

/** The SQL that runs before the copied tables, inside the transaction. */
function preamble(params: PartialDatabaseParams, mode: Mode, tables: QualifiedName[], existing: QualifiedName[]): string {
  const lines = ['BEGIN;', "SET LOCAL lock_timeout = '30s';"]
  if (mode.kind === 'tables') {
    for (const schema of new Set(tables.map((t) => t.schema))) lines.push(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)};`)
    // No CASCADE: anything outside the selection that still depends on these fails the transaction.
    if (existing.length > 0) lines.push(`DROP TABLE ${existing.map((t) => `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`).join(', ')};`)
  }
  params.log.info({ mode: mode.kind, tables: tables.length, replaced: existing.length }, 'applying the selected tables to the target in one transaction')
  return `${lines.join('\n')}\n`
}

/** pg_dump of the scratch tables → plain-SQL guard → psql, in one transaction committed only after pg_dump succeeded. */
async function copyIntoTarget(params: PartialDatabaseParams, scratch: string, mode: Mode, tables: QualifiedName[], existing: QualifiedName[]): Promise<void> {
  const env = childEnv(libpqEnv(params.server))
  const ownership = params.keepOwnership ? [] : ['--no-owner', '--no-privileges']
  const selection = mode.kind === 'schema' ? ['--schema', exactPattern(mode.schema)] : tables.flatMap((t) => ['--table', exactPattern(t.schema, t.name)])
  const dumpStderr = new TailBuffer()
  const dump = execa(params.tools.pgDump, ['--no-password', '--format=plain', ...ownership, ...selection, '--dbname', conninfoDbname(scratch)], {
    env,
    extendEnv: false,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    cancelSignal: params.signal,
    forceKillAfterDelay: 5000,
  })
  dump.stderr?.on('data', (chunk: Buffer) => dumpStderr.push(chunk))
  const head = preamble(params, mode, tables, existing)
  async function* script() {
    yield Buffer.from(head)
    if (!dump.stdout) throw new Error('pg_dump stdout is not a pipe')
    for await (const chunk of dump.stdout) yield chunk as Buffer
    const result = await dump
    if (result.exitCode !== 0 || result.isCanceled) {
      const tail = stderrTail(dumpStderr.toString(), params.secrets)
      // Thrown before COMMIT is sent: psql is stopped and the transaction never commits.
      throw restoreError(
        'restore_tool_failed',
        `pg_dump failed copying the selected tables out of the scratch database ${scratch} (exit ${result.exitCode ?? 'signal'}); the target was not changed.${tail ? `\n${tail}` : ''}`,
      )
    }
    yield Buffer.from('\nCOMMIT;\n')
  }
  await feedTool(
    {
      file: params.tools.psql,
      args: ['-X', '-q', '--no-password', '-v', 'ON_ERROR_STOP=1', '--dbname', conninfoDbname(params.targetDatabase), '-f', '-'],
      env,
      secrets: params.secrets,
      failureMessage: `psql failed applying the selected tables to ${params.targetDatabase}; the transaction was rolled back and the target was not changed`,
    },
    [Readable.from(script()), new PlainSqlGuard()] as StreamStage[],
    params.signal,
  ).finally(() => {
    if (dump.exitCode === null) dump.kill('SIGTERM')
  })
}

export async function restorePartialDatabase(params: PartialDatabaseParams): Promise<DatabaseRestoreResult> {
  const { log } = params
  const admin = await connectTarget(params.server, params.server.maintenanceDatabase)
  const names = stagingDatabaseNames(params.targetDatabase, params.restoreId, params.attempt)
  const marker = swapMarker(params.restoreId)
  let scratchCreated = false
  let target: postgres.Sql | null = null
  let listDir: string | null = null
  try {
    const existing = await describeDatabase(admin, params.targetDatabase)
    if (existing?.marker === marker) {
      log.info('the target already holds this restore (swapped by an earlier attempt)')
      await dropRestoreLeftovers(admin, params.restoreId, log)
      return { alreadyDone: true, afterComplete: () => clearMarkers(params) }
    }
    const mode: Mode = !existing ? { kind: 'new' } : params.targetSchema !== null ? { kind: 'schema', schema: params.targetSchema } : { kind: 'tables' }
    if (existing) target = await connectTarget(params.server, params.targetDatabase)
    if (target && mode.kind === 'schema' && (await schemaComment(target, mode.schema)) === marker) {
      log.info('the target schema already holds this restore (copied by an earlier attempt)')
      await dropRestoreLeftovers(admin, params.restoreId, log)
      return { alreadyDone: true, afterComplete: () => clearSchemaMarker(params, mode.schema) }
    }
    await dropRestoreLeftovers(admin, params.restoreId, log)

    const { toc, selection } = await readSelection(params)
    log.info(
      { archiveVersion: toc.version, entries: toc.entries.length, selected: selection.ids.length, tables: selection.tables.length },
      'partial restore selection',
    )
    if (selection.unknown.length > 0) {
      await failCheck(
        params,
        `include: unknown ${selection.unknown.length === 1 ? 'name' : 'names'} ${selection.unknown.map((n) => JSON.stringify(n)).join(', ')}; the dump does not have ${selection.unknown.length === 1 ? 'it' : 'them'}.`,
      )
    }
    if (params.targetSchema !== null) {
      const seen = new Map<string, QualifiedName>()
      for (const t of selection.tables) {
        const clash = seen.get(t.name)
        if (clash)
          await failCheck(params, `include: tables ${describeTables([clash, t])} would both become ${quoteIdent(params.targetSchema)}.${quoteIdent(t.name)}.`)
        seen.set(t.name, t)
      }
    }
    await params.recordCheck({ name: 'include', status: 'passed', message: `${describeTables(selection.tables)} (${selection.ids.length} dump entries)` })
    if (target) await refuseTarget(params, target, mode, selection.tables)

    const options = existing
      ? ` ENCODING ${quoteLiteral(existing.encoding)} LC_COLLATE ${quoteLiteral(existing.collate)} LC_CTYPE ${quoteLiteral(existing.ctype)} OWNER ${quoteIdent(existing.owner)}`
      : ''
    try {
      await admin.unsafe(`CREATE DATABASE ${quoteIdent(names.staging)} TEMPLATE template0${options}`)
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      throw restoreError('restore_tool_failed', `Could not create the scratch database ${names.staging} (${reason}); the server user needs CREATEDB.`, error)
    }
    scratchCreated = true
    listDir = await mkdtemp(join(params.tempDir ?? tmpdir(), 'devpilot-partial-'))
    const listFile = join(listDir, 'selection.list')
    await writeFile(listFile, listFileText(selection.ids), { mode: 0o600 })
    log.info({ scratch: names.staging, mode: mode.kind }, 'restoring the selection into the scratch database')
    const ownership = params.keepOwnership ? [] : ['--no-owner', '--no-privileges']
    await feedTool(
      {
        file: params.tools.pgRestore,
        args: [
          '--exit-on-error',
          '--no-password',
          `--format=${params.format === 'pg_tar' ? 'tar' : 'custom'}`,
          ...ownership,
          `--use-list=${listFile}`,
          '--dbname',
          conninfoDbname(names.staging),
        ],
        env: childEnv(libpqEnv(params.server)),
        secrets: params.secrets,
        failureMessage: `pg_restore failed restoring the selection into the scratch database ${names.staging}; the target was not changed`,
      },
      (await params.openInput()).stages,
      params.signal,
    )

    if (params.targetSchema !== null) await moveIntoSchema(params, names.staging, params.targetSchema, selection.tables, marker)
    await params.beforeSwap()
    if (mode.kind === 'new') {
      await swapIn(admin, params, names, false)
      scratchCreated = false
      log.info({ target: params.targetDatabase }, 'the partial restore was swapped in as a new database')
      return { alreadyDone: false, afterComplete: () => clearMarkers(params) }
    }
    if (!target) throw new Error('an existing target without a connection')
    // Checked again right before the copy: something may have changed while the scratch restore ran.
    await refuseTarget(params, target, mode, selection.tables)
    const replaced = mode.kind === 'tables' ? await existingTables(target, selection.tables) : []
    await copyIntoTarget(params, names.staging, mode, mode.kind === 'schema' ? [] : selection.tables, replaced)
    log.info({ target: params.targetDatabase, mode: mode.kind, replaced: replaced.length }, 'the selected tables were applied to the target')
    return {
      alreadyDone: false,
      afterComplete: () => (mode.kind === 'schema' ? clearSchemaMarker(params, mode.schema) : Promise.resolve()),
    }
  } finally {
    if (scratchCreated) {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${quoteIdent(names.staging)} WITH (FORCE)`).catch((error: unknown) => {
        log.error({ err: error, database: names.staging }, 'could not drop the scratch database; cleanup will retry')
      })
    }
    if (listDir) await rm(listDir, { recursive: true, force: true })
    await target?.end({ timeout: 5 })
    await admin.end({ timeout: 5 })
  }
}

/** In scratch: the selected tables move into the new schema (indexes, constraints, owned sequences move with them). */
async function moveIntoSchema(params: PartialDatabaseParams, scratch: string, schema: string, tables: QualifiedName[], marker: string): Promise<void> {
  const sql = await connectTarget(params.server, scratch)
  try {
    await sql.begin(async (tx) => {
      await tx.unsafe(`CREATE SCHEMA ${quoteIdent(schema)}`)
      // The marker travels with the schema into the target: a take-over finds it and does not copy twice.
      await tx.unsafe(`COMMENT ON SCHEMA ${quoteIdent(schema)} IS ${quoteLiteral(marker)}`)
      for (const t of tables) await tx.unsafe(`ALTER TABLE ${quoteIdent(t.schema)}.${quoteIdent(t.name)} SET SCHEMA ${quoteIdent(schema)}`)
    })
  } finally {
    await sql.end({ timeout: 5 })
  }
}

/** A new database: the swap marker on the database, and the new schema's marker when there is one. */
async function clearMarkers(params: PartialDatabaseParams): Promise<void> {
  await clearSwapMarker(params.server, params.targetDatabase)
  if (params.targetSchema !== null) await clearSchemaMarker(params, params.targetSchema)
}

async function clearSchemaMarker(params: PartialDatabaseParams, schema: string): Promise<void> {
  const sql = await connectTarget(params.server, params.targetDatabase)
  try {
    await sql.unsafe(`COMMENT ON SCHEMA ${quoteIdent(schema)} IS NULL`)
  } finally {
    await sql.end({ timeout: 5 })
  }
}
