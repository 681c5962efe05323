// Preflight of a database restore (DESIGN.md "Preflight checks"): everything is read, nothing on
// the target is written. The dump's catalog comes from the front of the artifact (dump-catalog.ts);
// the target is asked over one connection to its maintenance database (and one to the target
// database for its user objects and sessions). Checks run in the order of the design and are
// stored as each completes; a check whose input is missing (no catalog, no connection) is skipped.
import type { Readable } from 'node:stream'
import type { DatabaseBackupFormat } from '@devpilot/contracts'
import type postgres from 'postgres'
import type { Logger } from '../logger.js'
import type { PgTools } from '../pg-tools.js'
import { connectTarget, swapMarker, type TargetServer } from '../restore/pg-target.js'
import { userObjects } from '../restore/postgres.js'
import type { CheckList } from './check-list.js'
import { type DumpCatalog, readDumpCatalog } from './dump-catalog.js'
import { formatBytes } from './format-bytes.js'

export interface DatabasePreflightParams {
  restoreId: string
  server: TargetServer
  targetDatabase: string
  overwrite: boolean
  keepOwnership: boolean
  /** A partial restore (include): it never replaces the database, so its own check decides about existing tables. */
  partial: boolean
  format: DatabaseBackupFormat
  /** Opens the artifact's byte stream (nothing verifies its sha256 here: only its front is read). */
  openSource(): Promise<{ stream: Readable; size: number | null; location: string }>
  tools: PgTools
  checks: CheckList
  signal: AbortSignal
  log: Logger
}

export interface DatabasePreflight {
  catalog: DumpCatalog | null
  /** The target database exists (so a restore replaces it). */
  targetExists: boolean
  /** An earlier attempt of this restore already swapped its result in: nothing left to check. */
  alreadySwapped: boolean
  /** Estimated bytes of the staging copy; null when the artifact's size is unknown. */
  bytesNeeded: number | null
}

/** Rough ratio of restored size to a compressed dump's size (gzip on table data; indexes are rebuilt). */
const COMPRESSED_EXPANSION = 4

export async function databasePreflight(p: DatabasePreflightParams): Promise<DatabasePreflight> {
  const { checks } = p
  let catalog: DumpCatalog | null = null
  let artifactSize: number | null = null
  try {
    const source = await p.openSource()
    artifactSize = source.size
    await checks.add('artifact_readable', 'passed', `${source.location} is readable${source.size !== null ? ` (${formatBytes(source.size)})` : ''}.`)
    try {
      catalog = await readDumpCatalog(source.stream, p.format, p.tools, p.signal)
    } catch (error) {
      await checks.addFailure('dump_version', error)
    }
  } catch (error) {
    await checks.addFailure('artifact_readable', error)
  }

  let admin: postgres.Sql | null = null
  try {
    admin = await connectTarget(p.server, p.server.maintenanceDatabase)
    await checks.add('target_reachable', 'passed', `Connected to ${p.server.host}:${p.server.port} as ${p.server.username}.`)
  } catch (error) {
    await checks.addFailure('target_reachable', error)
  }
  const bytesNeeded = artifactSize === null ? null : catalog?.compressed ? artifactSize * COMPRESSED_EXPANSION : artifactSize
  if (!admin) return { catalog, targetExists: false, alreadySwapped: false, bytesNeeded }
  try {
    const [server] = await admin<
      { version: string; num: string }[]
    >`SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num`
    const [target] = await admin<{ marker: string | null; owner: string }[]>`
      SELECT shobj_description(oid, 'pg_database') AS marker, pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = ${p.targetDatabase}`
    if (target?.marker === swapMarker(p.restoreId)) {
      await checks.add('target_state', 'passed', `The target database ${p.targetDatabase} already holds this restore (an earlier attempt swapped it in).`)
      return { catalog, targetExists: true, alreadySwapped: true, bytesNeeded }
    }
    if (catalog) await checkDumpVersion(checks, catalog, server?.version ?? '', Number(server?.num ?? 0))
    await checkTargetState(p, target !== undefined)
    if (catalog) await checkRoles(p, admin, catalog)
    if (catalog) await checkExtensions(p, admin, catalog)
    await checkPermissions(p, admin, target ?? null)
    if (target) await checkSessions(p, admin)
    if (bytesNeeded !== null)
      await checks.add(
        'staging_space',
        'warning',
        `The staging copy needs about ${formatBytes(bytesNeeded)} on the target server next to the target until the swap (estimated from the artifact's size${catalog?.compressed ? ', compressed' : ''}); free disk is not visible over SQL.`,
      )
    else
      await checks.add(
        'staging_space',
        'warning',
        "The staging copy needs about the restored database's size on the target server; the artifact's size is unknown.",
      )
    return { catalog, targetExists: target !== undefined, alreadySwapped: false, bytesNeeded }
  } finally {
    await admin.end({ timeout: 5 })
  }
}

function majorOf(version: string): number {
  return Number(/^(\d+)/.exec(version)?.[1] ?? 0)
}

async function checkDumpVersion(checks: CheckList, catalog: DumpCatalog, targetVersion: string, targetNum: number): Promise<void> {
  const source = catalog.sourceVersion
  if (source === null) {
    await checks.add('dump_version', 'passed', 'The dump is readable; it does not say which server version it was dumped from.')
    return
  }
  const sourceMajor = majorOf(source)
  const targetMajor = Math.floor(targetNum / 10000)
  if (targetMajor < sourceMajor) {
    await checks.add(
      'dump_version',
      'warning',
      `The dump comes from PostgreSQL ${source}, newer than the target server (${targetVersion}); objects using newer features may fail to restore.`,
    )
    return
  }
  await checks.add('dump_version', 'passed', `Dumped from PostgreSQL ${source}; the target server runs ${targetVersion}.`)
}

async function checkTargetState(p: DatabasePreflightParams, exists: boolean): Promise<void> {
  if (!exists) {
    await p.checks.add('target_state', 'passed', `The target database ${p.targetDatabase} does not exist; the restore creates it.`)
    return
  }
  if (p.partial) {
    await p.checks.add(
      'target_state',
      'passed',
      `The target database ${p.targetDatabase} exists; a partial restore touches only the selected tables (refused with target_not_empty or dependent_objects when they clash).`,
    )
    return
  }
  const objects = await userObjects(p.server, p.targetDatabase)
  if (objects.length === 0) {
    await p.checks.add('target_state', 'passed', `The target database ${p.targetDatabase} exists and holds no user objects.`)
    return
  }
  if (p.overwrite) {
    await p.checks.add(
      'target_state',
      'passed',
      `The target database ${p.targetDatabase} holds user objects (${objects.join(', ')}); overwrite is on, so it is replaced.`,
    )
    return
  }
  await p.checks.add(
    'target_state',
    'failed',
    `The target database ${p.targetDatabase} already holds user objects (${objects.join(', ')}); restore with overwrite on to replace it, or pick another database name. The target was not changed.`,
    'target_not_empty',
  )
}

async function checkRoles(p: DatabasePreflightParams, admin: postgres.Sql, catalog: DumpCatalog): Promise<void> {
  if (!p.keepOwnership) {
    await p.checks.add('roles', 'passed', 'Ownership and privileges are not restored on another server (--no-owner --no-privileges); no role is needed.')
    return
  }
  if (!catalog.hasToc) {
    await p.checks.add('roles', 'warning', 'A plain-SQL dump has no table of contents: the roles it needs are known only while it runs.')
    return
  }
  const wanted = [...new Set([...catalog.entries.map((e) => e.owner).filter((o): o is string => o !== null), ...catalog.grantees])].sort()
  const rows = await admin<{ rolname: string }[]>`SELECT rolname FROM pg_roles WHERE rolname = ANY(${wanted}::text[])`
  const present = new Set(rows.map((r) => r.rolname))
  const missing = wanted.filter((r) => !present.has(r))
  if (missing.length > 0) {
    await p.checks.add(
      'roles',
      'failed',
      `The dump gives ownership or privileges to roles that do not exist on ${p.server.host}:${p.server.port}: ${missing.join(', ')}. Create them there first, or restore to another server (ownership is then dropped).`,
    )
    return
  }
  await p.checks.add(
    'roles',
    'passed',
    wanted.length ? `Every role the dump names exists on the target server (${wanted.join(', ')}).` : 'The dump names no roles.',
  )
}

async function checkExtensions(p: DatabasePreflightParams, admin: postgres.Sql, catalog: DumpCatalog): Promise<void> {
  if (!catalog.hasToc) {
    await p.checks.add('extensions', 'warning', 'A plain-SQL dump has no table of contents: the extensions it creates are known only while it runs.')
    return
  }
  const wanted = catalog.entries.filter((e) => e.type === 'EXTENSION').map((e) => e.name)
  if (wanted.length === 0) {
    await p.checks.add('extensions', 'passed', 'The dump creates no extensions.')
    return
  }
  const rows = await admin<{ name: string }[]>`SELECT name FROM pg_available_extensions WHERE name = ANY(${wanted}::text[])`
  const available = new Set(rows.map((r) => r.name))
  const missing = wanted.filter((e) => !available.has(e))
  if (missing.length > 0) {
    await p.checks.add(
      'extensions',
      'failed',
      `The dump creates extensions the target server ${p.server.host}:${p.server.port} cannot install (not in pg_available_extensions): ${missing.join(', ')}. Install their packages on that server first.`,
    )
    return
  }
  await p.checks.add('extensions', 'passed', `The target server can install every extension the dump creates (${wanted.join(', ')}).`)
}

async function checkPermissions(p: DatabasePreflightParams, admin: postgres.Sql, target: { owner: string } | null): Promise<void> {
  const [me] = await admin<{ createdb: boolean; superuser: boolean; owns: boolean | null; signal: boolean }[]>`
    SELECT r.rolcreatedb AS createdb, r.rolsuper AS superuser,
           (SELECT pg_has_role(current_user, d.datdba, 'MEMBER') FROM pg_database d WHERE d.datname = ${p.targetDatabase}) AS owns,
           pg_has_role(current_user, 'pg_signal_backend', 'MEMBER') AS signal
    FROM pg_roles r WHERE r.rolname = current_user`
  const problems: string[] = []
  if (!me?.superuser && !me?.createdb) problems.push(`${p.server.username} may not create databases (CREATEDB), which the staging database needs`)
  // Replacing the target renames it away: only its owner (or a superuser) may; its sessions are ended first.
  if (target && !me?.superuser && !me?.owns)
    problems.push(`${p.server.username} does not own the target database ${p.targetDatabase} (owner ${target.owner}), so it cannot replace it`)
  if (problems.length > 0) {
    await p.checks.add('permissions', 'failed', `${problems.join('; ')}. Grant these to the server user or use another one.`)
    return
  }
  await p.checks.add(
    'permissions',
    'passed',
    `${p.server.username} may create the staging database${target ? ` and replace ${p.targetDatabase}` : ''}${me?.superuser ? ' (superuser)' : ''}.`,
  )
}

async function checkSessions(p: DatabasePreflightParams, admin: postgres.Sql): Promise<void> {
  const [row] = await admin<{ n: number }[]>`
    SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = ${p.targetDatabase} AND pid <> pg_backend_pid()`
  const n = row?.n ?? 0
  if (n > 0) {
    await p.checks.add('sessions', 'warning', `${n} open session${n === 1 ? '' : 's'} on ${p.targetDatabase} will be ended by the swap.`)
    return
  }
  await p.checks.add('sessions', 'passed', `No open sessions on ${p.targetDatabase}.`)
}
