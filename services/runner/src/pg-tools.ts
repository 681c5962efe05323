// Locates pg_restore and psql for the runner: PG_BIN_DIR, then `pg_config --bindir`, then the
// newest /usr/lib/postgresql/<n>/bin. The runner needs only the client tools, not a server.
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { execaSync } from 'execa'

export interface PgTools {
  pgRestore: string
  psql: string
  /** Partial restores copy tables out of their scratch database with it. */
  pgDump: string
}

const hasClientTools = (dir: string) => existsSync(join(dir, 'pg_restore')) && existsSync(join(dir, 'psql')) && existsSync(join(dir, 'pg_dump'))

export function findPgTools(binDir: string | undefined): PgTools {
  const candidates: string[] = []
  if (binDir) candidates.push(binDir)
  const pgConfig = execaSync('pg_config', ['--bindir'], { reject: false })
  if (pgConfig.exitCode === 0 && typeof pgConfig.stdout === 'string') candidates.push(pgConfig.stdout.trim())
  const root = '/usr/lib/postgresql'
  if (existsSync(root)) {
    for (const v of readdirSync(root)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a)))
      candidates.push(join(root, v, 'bin'))
  }
  const dir = candidates.find(hasClientTools)
  if (!dir) throw new Error(`pg_restore, psql and pg_dump were not found (searched: ${candidates.join(', ') || 'nothing'}); set PG_BIN_DIR.`)
  return { pgRestore: join(dir, 'pg_restore'), psql: join(dir, 'psql'), pgDump: join(dir, 'pg_dump') }
}
