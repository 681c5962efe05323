// The embedded defaults of the local run (`pnpm start`): a cluster under .data/pg, a generated
// secrets key, and the folders file restores and local destinations may use. While `pnpm start`
// runs it writes .data/local.env, so `pnpm admin` and `pnpm demo` find the same database.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { generateSecretsKey } from '@devpilot/secrets'
import { DATA_DIR } from './paths.js'

export const LOCAL_ENV_FILE = join(DATA_DIR, 'local.env')
export const LOCAL_FILES_ROOT = join(DATA_DIR, 'files')
export const LOCAL_DESTINATIONS_ROOT = join(DATA_DIR, 'destinations')
export const LOCAL_PG_DIR = join(DATA_DIR, 'pg')
export const LOCAL_PG_PORT = 54329
const SECRETS_KEY_FILE = join(DATA_DIR, 'secrets.key')

/** The local run's SECRETS_KEY: generated once into .data/secrets.key (0600) and reused. */
export function localSecretsKey(): string {
  mkdirSync(DATA_DIR, { recursive: true })
  if (!existsSync(SECRETS_KEY_FILE)) writeFileSync(SECRETS_KEY_FILE, `${generateSecretsKey()}\n`, { mode: 0o600 })
  return readFileSync(SECRETS_KEY_FILE, 'utf8').trim()
}

export function ensureLocalFolders(): void {
  mkdirSync(LOCAL_FILES_ROOT, { recursive: true })
  mkdirSync(LOCAL_DESTINATIONS_ROOT, { recursive: true })
}

export function writeLocalEnv(vars: Record<string, string>): void {
  writeFileSync(
    LOCAL_ENV_FILE,
    `${Object.entries(vars)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
    { mode: 0o600 },
  )
}

export function removeLocalEnv(): void {
  rmSync(LOCAL_ENV_FILE, { force: true })
}

/** The variables of a running `pnpm start`, or null when none is running. */
export function readLocalEnv(): Record<string, string> | null {
  if (!existsSync(LOCAL_ENV_FILE)) return null
  const vars: Record<string, string> = {}
  for (const line of readFileSync(LOCAL_ENV_FILE, 'utf8').split('\n')) {
    const eq = line.indexOf('=')
    if (eq > 0) vars[line.slice(0, eq)] = line.slice(eq + 1)
  }
  return vars
}
