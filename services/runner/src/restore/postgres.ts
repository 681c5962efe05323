// Database restores. The artifact is restored into a fresh STAGING database on the target server
// and swapped in only after the tool succeeded and the whole artifact's sha256 was verified: one
// short transaction on the maintenance database renames target -> old and staging -> target, then
// the old one is dropped. Any failure drops the staging database; the target is never written to
// directly, so a failed, corrupt or killed restore leaves it exactly as it was.
import { createGunzip } from 'node:zlib'
import type { DatabaseBackupFormat } from '@devpilot/contracts'
import { pgErrorCode } from '@devpilot/db'
import type postgres from 'postgres'
import { restoreError } from '../errors.js'
import type { Logger } from '../logger.js'
import type { PgTools } from '../pg-tools.js'
import { type ArtifactInput, childEnv, feedTool, runTool, type StreamStage, toolReadsFile } from './feed-tool.js'
import {
  connectTarget,
  conninfoDbname,
  leftoverDatabasePattern,
  libpqEnv,
  quoteIdent,
  quoteLiteral,
  stagingDatabaseNames,
  swapMarker,
  type TargetServer,
} from './pg-target.js'
import { PlainSqlOwnershipFilter } from './plain-sql-filter.js'
import { PlainSqlGuard } from './plain-sql-guard.js'
import { spoolArtifact } from './spool.js'

export interface DatabaseRestoreParams {
  restoreId: string
  attempt: number
  server: TargetServer
  targetDatabase: string
  overwrite: boolean
  format: DatabaseBackupFormat
  /** true on the plan's own server: owners and privileges are restored; false drops them. */
  keepOwnership: boolean
  /** Opens the artifact: the source stream followed by the verifying counter (and a local artifact's file). */
  openInput(): Promise<ArtifactInput>
  tools: PgTools
  /** pg_restore -j; above 1 a pg_custom artifact is spooled to a temporary file first. */
  jobs: number
  tempDir: string | undefined
  /** The artifact's size once opened, when known (the spool's room is checked against it). */
  expectedBytes(): number | null
  secrets: readonly string[]
  /** Runs against the restored staging database before the swap (point-in-time replay). */
  afterStagingRestore?(stagingDatabase: string): Promise<void>
  /** Verifies the staging database after afterStagingRestore and before the swap (restore/verify.ts); throws to fail. */
  verifyStaging?(stagingDatabase: string): Promise<void>
  /** Last ownership check before the swap; throws when this runner no longer owns the restore. */
  beforeSwap(): Promise<void>
  signal: AbortSignal
  log: Logger
}

export interface DatabaseRestoreResult {
  /** true when an earlier attempt had already swapped the restored database in. */
  alreadyDone: boolean
  /** Clears the swap marker; call after the restore was recorded completed. */
  afterComplete(): Promise<void>
}

export interface ExistingDatabase {
  encoding: string
  collate: string
  ctype: string
  owner: string
  marker: string | null
}

/** Drops the staging/old databases earlier attempts of this restore left behind (crash, kill -9). */
export async function dropRestoreLeftovers(admin: postgres.Sql, restoreId: string, log: Logger): Promise<void> {
  const rows = await admin<{ datname: string }[]>`SELECT datname FROM pg_database WHERE datname ~ ${leftoverDatabasePattern(restoreId)}`
  for (const { datname } of rows) {
    log.info({ database: datname }, 'dropping a leftover staging database of an earlier attempt')
    await admin.unsafe(`DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`)
  }
}

export async function describeDatabase(admin: postgres.Sql, name: string): Promise<ExistingDatabase | null> {
  const [row] = await admin<ExistingDatabase[]>`
    SELECT pg_encoding_to_char(encoding) AS encoding, datcollate AS collate, datctype AS ctype, pg_get_userbyid(datdba) AS owner,
           shobj_description(oid, 'pg_database') AS marker
    FROM pg_database WHERE datname = ${name}`
  return row ?? null
}

/** A few user objects of a database (schemas, relations, functions, types, extensions); empty = no user objects. */
export async function userObjects(server: TargetServer, database: string): Promise<string[]> {
  const sql = await connectTarget(server, database)
  try {
    const rows = await sql<{ what: string }[]>`
      WITH user_ns AS (SELECT oid, nspname FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema')
      SELECT what FROM (
        SELECT 'schema ' || nspname AS what FROM user_ns WHERE nspname <> 'public'
        UNION ALL SELECT 'relation ' || n.nspname || '.' || c.relname FROM pg_class c JOIN user_ns n ON n.oid = c.relnamespace
        UNION ALL SELECT 'function ' || n.nspname || '.' || p.proname FROM pg_proc p JOIN user_ns n ON n.oid = p.pronamespace
        UNION ALL SELECT 'type ' || n.nspname || '.' || t.typname FROM pg_type t JOIN user_ns n ON n.oid = t.typnamespace
          WHERE t.typrelid = 0 AND t.typcategory <> 'A'
        UNION ALL SELECT 'extension ' || extname FROM pg_extension WHERE extname <> 'plpgsql'
      ) objects LIMIT 5`
    return rows.map((r) => r.what)
  } finally {
    await sql.end({ timeout: 5 })
  }
}

function toolArgs(params: DatabaseRestoreParams, staging: string): { file: string; args: string[] } {
  const ownership = params.keepOwnership ? [] : ['--no-owner', '--no-privileges']
  if (params.format === 'pg_plain' || params.format === 'pg_plain_gz') {
    // One transaction: statements that must not run inside a staging restore (DROP/CREATE DATABASE,
    // ALTER SYSTEM) cannot run in a transaction block, so a script carrying them fails instead.
    return {
      file: params.tools.psql,
      args: ['-X', '-q', '--no-password', '--single-transaction', '-v', 'ON_ERROR_STOP=1', '--dbname', conninfoDbname(staging), '-f', '-'],
    }
  }
  const format = params.format === 'pg_tar' ? 'tar' : 'custom'
  return { file: params.tools.pgRestore, args: ['--exit-on-error', '--no-password', `--format=${format}`, ...ownership, '--dbname', conninfoDbname(staging)] }
}

async function restoreIntoStaging(params: DatabaseRestoreParams, staging: string): Promise<void> {
  const { file, args } = toolArgs(params, staging)
  const run = {
    file,
    args,
    env: childEnv(libpqEnv(params.server)),
    secrets: params.secrets,
    failureMessage: `${file.endsWith('psql') ? 'psql' : 'pg_restore'} failed restoring into the staging database ${staging}; the target was not changed`,
  }
  const { stages: input, file: local } = await params.openInput()
  if (local && (params.format === 'pg_custom' || params.format === 'pg_tar')) {
    // A local artifact: pg_restore reads the file itself from stdin (seekable, so -j needs no
    // spool) while the runner hashes it; the swap still waits for both.
    const parallel = params.format === 'pg_custom' && params.jobs > 1 ? [`--jobs=${params.jobs}`, '/dev/stdin'] : []
    await toolReadsFile({ ...run, args: [...args, ...parallel] }, local, input, params.signal)
    return
  }
  if (params.format === 'pg_custom' && params.jobs > 1) {
    // pg_restore -j needs a seekable file: spool the verified artifact, then restore in parallel.
    const spool = await spoolArtifact(input, { tempDir: params.tempDir, expectedBytes: params.expectedBytes(), signal: params.signal, log: params.log })
    try {
      await runTool({ ...run, args: [...args, `--jobs=${params.jobs}`, spool.path] }, params.signal)
    } finally {
      await spool.remove()
    }
    return
  }
  const stages: StreamStage[] = [...input]
  if (params.format === 'pg_plain_gz') stages.push(createGunzip())
  if (params.format === 'pg_plain' || params.format === 'pg_plain_gz') stages.push(new PlainSqlGuard())
  if (!params.keepOwnership && (params.format === 'pg_plain' || params.format === 'pg_plain_gz')) stages.push(new PlainSqlOwnershipFilter())
  await feedTool(run, stages, params.signal)
}

export async function swapIn(
  admin: postgres.Sql,
  params: Pick<DatabaseRestoreParams, 'restoreId' | 'targetDatabase' | 'log'>,
  names: { staging: string; old: string },
  targetExists: boolean,
): Promise<void> {
  await admin.unsafe(`COMMENT ON DATABASE ${quoteIdent(names.staging)} IS ${quoteLiteral(swapMarker(params.restoreId))}`)
  for (let attempt = 1; ; attempt++) {
    try {
      // One transaction: either the target is the restored database, or nothing changed.
      await admin.begin(async (tx) => {
        await tx`SET LOCAL lock_timeout = '10s'`
        if (targetExists) {
          await tx`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${params.targetDatabase} AND pid <> pg_backend_pid()`
          await tx.unsafe(`ALTER DATABASE ${quoteIdent(params.targetDatabase)} RENAME TO ${quoteIdent(names.old)}`)
        }
        await tx.unsafe(`ALTER DATABASE ${quoteIdent(names.staging)} RENAME TO ${quoteIdent(params.targetDatabase)}`)
      })
      return
    } catch (error) {
      // 55006: a client reconnected to the target between terminate and rename; try again.
      if (pgErrorCode(error) === '55006' && attempt < 5) {
        params.log.warn({ attempt }, 'target database still in use during the swap; retrying')
        continue
      }
      const reason = error instanceof Error ? error.message : String(error)
      throw restoreError(
        'restore_tool_failed',
        `The restored database could not be swapped in (${reason}); the server user needs CREATEDB and the right to terminate the target's sessions. The target was not changed.`,
        error,
      )
    }
  }
}

export async function restoreDatabase(params: DatabaseRestoreParams): Promise<DatabaseRestoreResult> {
  const { log } = params
  const admin = await connectTarget(params.server, params.server.maintenanceDatabase)
  const names = stagingDatabaseNames(params.targetDatabase, params.restoreId, params.attempt)
  let stagingCreated = false
  try {
    const existing = await describeDatabase(admin, params.targetDatabase)
    if (existing?.marker === swapMarker(params.restoreId)) {
      // An earlier attempt swapped the restored database in and died before recording it.
      log.info('the target already holds this restore (swapped by an earlier attempt)')
      await dropRestoreLeftovers(admin, params.restoreId, log)
      return { alreadyDone: true, afterComplete: () => clearMarker(params) }
    }
    await dropRestoreLeftovers(admin, params.restoreId, log)
    if (existing && !params.overwrite) {
      const objects = await userObjects(params.server, params.targetDatabase)
      if (objects.length > 0) {
        throw restoreError(
          'target_not_empty',
          `The target database ${params.targetDatabase} already holds user objects (${objects.join(', ')}); restore with overwrite on to replace it, or pick another database name. The target was not changed.`,
        )
      }
    }

    const options = existing
      ? ` ENCODING ${quoteLiteral(existing.encoding)} LC_COLLATE ${quoteLiteral(existing.collate)} LC_CTYPE ${quoteLiteral(existing.ctype)} OWNER ${quoteIdent(existing.owner)}`
      : ''
    try {
      await admin.unsafe(`CREATE DATABASE ${quoteIdent(names.staging)} TEMPLATE template0${options}`)
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      throw restoreError('restore_tool_failed', `Could not create the staging database ${names.staging} (${reason}); the server user needs CREATEDB.`, error)
    }
    stagingCreated = true
    log.info({ staging: names.staging, format: params.format, keepOwnership: params.keepOwnership }, 'restoring into the staging database')

    await restoreIntoStaging(params, names.staging)
    if (params.afterStagingRestore) await params.afterStagingRestore(names.staging)
    if (params.verifyStaging) await params.verifyStaging(names.staging)
    if (existing && !params.overwrite) {
      // Overwrite off: the target was empty when the restore began; refuse to replace it if
      // something was written into it meanwhile (a long restore, an application starting up).
      const objects = await userObjects(params.server, params.targetDatabase)
      if (objects.length > 0) {
        throw restoreError(
          'target_not_empty',
          `The target database ${params.targetDatabase} received user objects (${objects.join(', ')}) while the restore ran; with overwrite off it is not replaced. The target was not changed.`,
        )
      }
    }
    await params.beforeSwap()
    await swapIn(admin, params, names, existing !== null)
    stagingCreated = false
    log.info({ target: params.targetDatabase }, 'restored database swapped in')
    if (existing) {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${quoteIdent(names.old)} WITH (FORCE)`).catch((error: unknown) => {
        // The restore itself succeeded; the next attempt or the sweeper drops the old copy.
        log.warn({ err: error, database: names.old }, 'could not drop the previous target database; it will be dropped by cleanup')
      })
    }
    return { alreadyDone: false, afterComplete: () => clearMarker(params) }
  } finally {
    if (stagingCreated) {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${quoteIdent(names.staging)} WITH (FORCE)`).catch((error: unknown) => {
        log.error({ err: error, database: names.staging }, 'could not drop the staging database; cleanup will retry')
      })
    }
    await admin.end({ timeout: 5 })
  }
}

function clearMarker(params: DatabaseRestoreParams): Promise<void> {
  return clearSwapMarker(params.server, params.targetDatabase)
}

/** Removes the restore-id marker a swap left on the target database. */
export async function clearSwapMarker(server: TargetServer, database: string): Promise<void> {
  const admin = await connectTarget(server, server.maintenanceDatabase)
  try {
    await admin.unsafe(`COMMENT ON DATABASE ${quoteIdent(database)} IS NULL`)
  } finally {
    await admin.end({ timeout: 5 })
  }
}

/** Whether the target already is this restore's result: an attempt swapped it in and died before recording it. */
export async function targetHoldsRestore(server: TargetServer, database: string, restoreId: string): Promise<boolean> {
  const admin = await connectTarget(server, server.maintenanceDatabase)
  try {
    return (await describeDatabase(admin, database))?.marker === swapMarker(restoreId)
  } finally {
    await admin.end({ timeout: 5 })
  }
}

/** Best-effort removal of a restore's leftover databases (used when a lost restore is failed). */
export async function cleanupDatabaseLeftovers(server: TargetServer, restoreId: string, log: Logger): Promise<void> {
  const admin = await connectTarget(server, server.maintenanceDatabase)
  try {
    await dropRestoreLeftovers(admin, restoreId, log)
  } finally {
    await admin.end({ timeout: 5 })
  }
}
