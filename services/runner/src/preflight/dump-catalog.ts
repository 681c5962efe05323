// What a database dump holds, read from its front only. pg_custom keeps its table of contents at
// the start and pg_tar its toc.dat as the first member, so `pg_restore --schema-only --file=-` fed
// from the artifact stream prints every object's definition without reading a row of data; once
// it exits the download stops. Plain SQL has no table of contents: only its header is read.
// The catalog is the dump's objects (name, type, schema, owner), the roles it grants to, and the
// version of the server it was dumped from.
import type { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { type DatabaseBackupFormat, isAppError } from '@devpilot/contracts'
import { execa } from 'execa'
import { restoreError } from '../errors.js'
import type { PgTools } from '../pg-tools.js'
import { childEnv } from '../restore/feed-tool.js'
import { stderrTail, TailBuffer } from '../scrub.js'

export interface DumpEntry {
  /** pg_dump's type, e.g. TABLE, MATERIALIZED VIEW, FUNCTION, ACL. */
  type: string
  /** pg_dump's tag: `t1`, `f(integer, text)`, `t1 trg` for a trigger on t1. */
  name: string
  /** null for objects outside a schema (schemas, extensions). */
  schema: string | null
  owner: string | null
}

export interface DumpCatalog {
  /** false for plain SQL: nothing but the header could be read before the restore. */
  hasToc: boolean
  /** "Dumped from database version" as pg_dump wrote it, e.g. `15.18 (Debian 15.18-0+deb12u1)`. */
  sourceVersion: string | null
  entries: DumpEntry[]
  /** Roles named by GRANT/REVOKE and ALTER DEFAULT PRIVILEGES (owners are in entries). */
  grantees: string[]
  /** Whether pg_dump compressed the data (custom format), for the staging estimate. */
  compressed: boolean
}

/** Bytes of DDL kept at most; a schema larger than this is refused rather than buffered. */
const MAX_DDL_BYTES = 256 * 1024 * 1024
/** Bytes of a plain dump's head read for its header. */
const PLAIN_HEAD_BYTES = 64 * 1024

export async function readDumpCatalog(source: Readable, format: DatabaseBackupFormat, tools: PgTools, signal: AbortSignal): Promise<DumpCatalog> {
  if (format === 'pg_plain' || format === 'pg_plain_gz') return readPlainHead(source, format === 'pg_plain_gz', signal)
  const ddl = await schemaOnlyScript(source, format === 'pg_tar' ? 'tar' : 'custom', tools, signal)
  return { hasToc: true, ...parseSchemaScript(ddl), compressed: format === 'pg_custom' }
}

/** Runs pg_restore --schema-only on the stream; stops reading the artifact once it exited. */
async function schemaOnlyScript(source: Readable, format: 'custom' | 'tar', tools: PgTools, signal: AbortSignal): Promise<string> {
  signal.throwIfAborted()
  const stderr = new TailBuffer()
  const child = execa(tools.pgRestore, ['--schema-only', '--file=-', `--format=${format}`], {
    env: childEnv({}),
    extendEnv: false,
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    cancelSignal: signal,
    forceKillAfterDelay: 2000,
  })
  const out: Buffer[] = []
  let outBytes = 0
  let tooLarge = false
  child.stdout?.on('data', (chunk: Buffer) => {
    outBytes += chunk.length
    if (outBytes > MAX_DDL_BYTES) {
      tooLarge = true
      child.kill('SIGTERM')
      return
    }
    out.push(chunk)
  })
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk))
  let sourceError: unknown = null
  source.on('error', (error) => {
    sourceError = error
    child.stdin?.destroy()
  })
  // EPIPE once pg_restore has what it needs and exits: expected, the rest is never downloaded.
  child.stdin?.on('error', () => {})
  source.pipe(child.stdin as NodeJS.WritableStream)
  const result = await child
  source.unpipe()
  source.destroy()
  if (signal.aborted) throw signal.reason
  if (sourceError && result.exitCode !== 0) throw sourceError
  if (tooLarge) throw restoreError('restore_tool_failed', `The dump's schema is larger than ${MAX_DDL_BYTES} bytes; its table of contents was not read.`)
  if (result.exitCode !== 0 || result.isCanceled) {
    const tail = stderrTail(stderr.toString(), [])
    throw restoreError(
      'restore_tool_failed',
      `pg_restore could not read the dump's table of contents (exit ${result.exitCode ?? 'signal'}).${tail ? `\n${tail}` : ''}`,
    )
  }
  return Buffer.concat(out).toString('utf8')
}

async function readPlainHead(source: Readable, gzip: boolean, signal: AbortSignal): Promise<DumpCatalog> {
  signal.throwIfAborted()
  const chunks: Buffer[] = []
  let bytes = 0
  const stream: Readable = gzip ? source.pipe(createGunzip()) : source
  try {
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer)
      bytes += (chunk as Buffer).length
      if (bytes >= PLAIN_HEAD_BYTES) break
    }
  } catch (error) {
    // A storage error keeps its own code; anything else is a stream that is not (gzip) SQL.
    if (isAppError(error)) throw error
    const reason = error instanceof Error ? error.message : String(error)
    throw restoreError('restore_tool_failed', `The artifact could not be read as ${gzip ? 'gzip-compressed ' : ''}SQL: ${reason}.`, error)
  } finally {
    source.destroy()
    stream.destroy()
  }
  const head = Buffer.concat(chunks).toString('utf8')
  return { hasToc: false, sourceVersion: versionLine(head), entries: [], grantees: [], compressed: gzip }
}

function versionLine(text: string): string | null {
  return /^-- Dumped from database version (.+)$/m.exec(text)?.[1]?.trim() ?? null
}

const ENTRY = /^-- (?:Data for )?Name: (.*); Type: (.*); Schema: (.*); Owner: (.*)$/

/** Objects, grantees and source version from pg_restore's schema-only script. */
export function parseSchemaScript(ddl: string): Omit<DumpCatalog, 'hasToc' | 'compressed'> {
  const entries: DumpEntry[] = []
  const grantees = new Set<string>()
  for (const line of ddl.split('\n')) {
    const entry = ENTRY.exec(line)
    if (entry) {
      const [, name = '', type = '', schema = '', owner = ''] = entry
      entries.push({ name, type, schema: schema === '-' ? null : schema, owner: owner === '' || owner === '-' ? null : owner })
      continue
    }
    for (const role of grantedRoles(line)) grantees.add(role)
  }
  return { sourceVersion: versionLine(ddl), entries, grantees: [...grantees] }
}

/** Roles a GRANT/REVOKE line names after TO/FROM, or ALTER DEFAULT PRIVILEGES names FOR ROLE. */
export function grantedRoles(line: string): string[] {
  const roles: string[] = []
  const defaults = /^ALTER DEFAULT PRIVILEGES FOR ROLE ((?:"(?:[^"]|"")+"|[^\s"]+))/.exec(line)
  if (defaults?.[1]) roles.push(unquote(defaults[1]))
  const grant = /(?:^|\s)(?:GRANT|REVOKE)\s.*\s(?:TO|FROM)\s+(.+?)(?:\s+WITH (?:GRANT|ADMIN) OPTION)?(?:\s+GRANTED BY .+)?;$/.exec(line)
  if (grant?.[1]) {
    for (const name of splitIdentifiers(grant[1])) if (name.toUpperCase() !== 'PUBLIC' || name.startsWith('"')) roles.push(unquote(name))
  }
  return roles
}

function splitIdentifiers(list: string): string[] {
  const names: string[] = []
  let current = ''
  let quoted = false
  for (const ch of list) {
    if (ch === '"') quoted = !quoted
    if (ch === ',' && !quoted) {
      names.push(current.trim())
      current = ''
      continue
    }
    current += ch
  }
  if (current.trim() !== '') names.push(current.trim())
  return names.filter((n) => n !== '')
}

function unquote(name: string): string {
  return name.startsWith('"') && name.endsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name
}
