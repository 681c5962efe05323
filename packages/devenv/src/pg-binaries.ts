// Locates the PostgreSQL server and client binaries on this machine. Everything that runs a
// PostgreSQL tool (local clusters, tests, the runner) goes through here so the search order is
// the same everywhere: PG_BIN_DIR, then `pg_config --bindir`, then /usr/lib/postgresql/<newest>.
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { execaSync } from 'execa'

export class PgBinariesMissingError extends Error {
  constructor(searched: string[]) {
    super(
      `PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found. Searched: ${searched.join(', ')}. ` +
        'Install them (Debian/Ubuntu: `apt-get install postgresql-15`; macOS: `brew install postgresql@15`) ' +
        'or point PG_BIN_DIR at the directory that holds them.',
    )
    this.name = 'PgBinariesMissingError'
  }
}

function hasServerBinaries(dir: string): boolean {
  return ['initdb', 'pg_ctl', 'postgres', 'pg_restore', 'psql'].every((b) => existsSync(join(dir, b)))
}

export function findPgBinDir(env: NodeJS.ProcessEnv = process.env): string {
  const searched: string[] = []
  const fromEnv = env.PG_BIN_DIR
  if (fromEnv) {
    searched.push(fromEnv)
    if (hasServerBinaries(fromEnv)) return fromEnv
  }
  const pgConfig = execaSync('pg_config', ['--bindir'], { reject: false })
  if (pgConfig.exitCode === 0 && typeof pgConfig.stdout === 'string') {
    const dir = pgConfig.stdout.trim()
    searched.push(dir)
    if (hasServerBinaries(dir)) return dir
  }
  const root = '/usr/lib/postgresql'
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a))
    for (const v of versions) {
      const dir = join(root, v, 'bin')
      searched.push(dir)
      if (hasServerBinaries(dir)) return dir
    }
  } else {
    searched.push(`${root}/*/bin`)
  }
  throw new PgBinariesMissingError(searched)
}

export function pgBin(binDir: string, tool: string): string {
  return join(binDir, tool)
}
