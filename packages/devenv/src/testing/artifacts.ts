// Real backup artifacts for tests and the demo: pg_dump in every format we restore, and tar
// archives, produced by the system's tools exactly as a backup producer would.
import { createHash } from 'node:crypto'
import { createReadStream, statSync } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import type { BackupManifest, DatabaseBackupFormat, FileBackupFormat } from '@devpilot/contracts'
import { execa } from 'execa'
import postgres from 'postgres'
import { findPgBinDir, pgBin } from '../pg-binaries.js'

const DUMP_FORMAT_ARGS: Record<DatabaseBackupFormat, string[]> = {
  pg_custom: ['--format=custom'],
  pg_tar: ['--format=tar'],
  pg_plain: ['--format=plain'],
  pg_plain_gz: ['--format=plain', '--compress=6'],
}

/** Splits a postgres URL into libpq environment variables, so no password lands in argv. */
export function libpqEnv(url: string): Record<string, string> {
  const u = new URL(url)
  return {
    PGHOST: u.hostname,
    PGPORT: u.port || '5432',
    PGUSER: decodeURIComponent(u.username),
    PGPASSWORD: decodeURIComponent(u.password),
    PGDATABASE: decodeURIComponent(u.pathname.slice(1)),
  }
}

export async function pgDump(url: string, format: DatabaseBackupFormat, outFile: string, extraArgs: string[] = []): Promise<void> {
  await execa(pgBin(findPgBinDir(), 'pg_dump'), [...DUMP_FORMAT_ARGS[format], '--file', outFile, ...extraArgs], { env: libpqEnv(url) })
}

/**
 * pg_dump plus the backup's manifest as a producer makes it: one REPEATABLE READ transaction exports
 * its snapshot, counts every table's rows in it, and stays open while pg_dump --snapshot dumps
 * exactly that snapshot, so the counts are those of the dump whatever is written meanwhile.
 */
export async function pgDumpWithManifest(url: string, format: DatabaseBackupFormat, outFile: string, extraArgs: string[] = []): Promise<BackupManifest> {
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  try {
    return await sql.begin('isolation level repeatable read read only', async (tx) => {
      const [snapshot] = await tx<{ id: string }[]>`SELECT pg_export_snapshot() AS id`
      if (!snapshot) throw new Error('pg_export_snapshot returned nothing')
      const tables = await tx<{ schema: string; name: string }[]>`
        SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' ORDER BY 1, 2`
      const manifest: BackupManifest = { tables: [] }
      for (const table of tables) {
        const [row] = await tx<{ rows: string }[]>`SELECT count(*)::text AS rows FROM ${tx(table.schema)}.${tx(table.name)}`
        manifest.tables.push({ ...table, rows: Number(row?.rows ?? 0) })
      }
      await pgDump(url, format, outFile, ['--snapshot', snapshot.id, ...extraArgs])
      return manifest
    })
  } finally {
    await sql.end({ timeout: 5 })
  }
}

export async function psql(url: string, script: string): Promise<string> {
  const result = await execa(pgBin(findPgBinDir(), 'psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-At'], { env: libpqEnv(url), input: script })
  return result.stdout
}

/** The first column of the first row of one query, as PostgreSQL's text (exact, unlike psql's output), '' when no row. */
export async function queryText(url: string, query: string): Promise<string> {
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  try {
    const [row] = await sql.unsafe<Array<Record<string, unknown>>>(query)
    return row ? String(Object.values(row)[0] ?? '') : ''
  } finally {
    await sql.end()
  }
}

export async function makeTar(sourceDir: string, format: FileBackupFormat, outFile: string): Promise<void> {
  await execa('tar', [format === 'tar_gz' ? '-czf' : '-cf', outFile, '-C', sourceDir, '.'])
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(file), hash)
  return hash.digest('hex')
}

export function fileSize(file: string): number {
  return statSync(file).size
}
