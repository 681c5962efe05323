// Creates, starts and stops a throw-away or long-lived PostgreSQL cluster under the project folder
// from the system's binaries. Used by `pnpm start` (.data/pg), the test orchestrator
// (.data/test/pg*) and the benchmarks. The cluster listens on 127.0.0.1 only (no Unix socket) with
// scram-sha-256 auth; its superuser password lives beside the data directory in a 0600 file.
// PostgreSQL refuses to run as root, so as root the server binaries run as the `postgres` user.
import { randomBytes } from 'node:crypto'
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { execa, execaSync } from 'execa'
import { freePort, isPortFree } from './free-port.js'
import { findPgBinDir, pgBin } from './pg-binaries.js'

export interface LocalClusterOptions {
  /** Folder that holds `data/` and `credentials.json`. */
  baseDir: string
  /** Try this port first; a free one is picked when it is taken. */
  preferredPort?: number
  /** Trade durability for speed (tests, benchmarks): fsync and synchronous_commit off. */
  fast?: boolean
  /** Wipe any existing cluster in baseDir first. */
  fresh?: boolean
  log?: (line: string) => void
}

export interface LocalCluster {
  host: string
  port: number
  user: string
  password: string
  binDir: string
  baseDir: string
  dataDir: string
  /** Connection URL for a database of this cluster (default `postgres`). */
  url(database?: string): string
  stop(): Promise<void>
}

interface Credentials {
  user: string
  password: string
}

interface RunAs {
  uid: number
  gid: number
  name: string
}

const SUPERUSER = 'devpilot'

function serverUser(): RunAs | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null
  const name = process.env.PG_RUN_AS_USER ?? 'postgres'
  const uid = execaSync('id', ['-u', name], { reject: false })
  const gid = execaSync('id', ['-g', name], { reject: false })
  if (uid.exitCode !== 0 || gid.exitCode !== 0) {
    throw new Error(
      `PostgreSQL cannot run as root and there is no '${name}' user to run it as. ` +
        'Create one (`useradd --system postgres`), set PG_RUN_AS_USER to an existing unprivileged user, or run as a normal user.',
    )
  }
  return { uid: Number(uid.stdout), gid: Number(gid.stdout), name }
}

/** Runs a server binary, dropping to the unprivileged user when we are root. */
async function runServerTool(runAs: RunAs | null, file: string, args: string[]) {
  const [cmd, argv] = runAs ? ['setpriv', ['--reuid', String(runAs.uid), '--regid', String(runAs.gid), '--clear-groups', '--', file, ...args]] : [file, args]
  const result = await execa(cmd, argv, { reject: false, all: true, env: { LC_ALL: 'C.UTF-8' } })
  if (result.exitCode !== 0) {
    throw new Error(`${file} ${args.join(' ')} failed (exit ${result.exitCode}):\n${String(result.all ?? '').slice(-4000)}`)
  }
  return result
}

function assertTraversable(runAs: RunAs, dir: string) {
  const check = execaSync('setpriv', ['--reuid', String(runAs.uid), '--regid', String(runAs.gid), '--clear-groups', '--', 'test', '-x', dir], { reject: false })
  if (check.exitCode !== 0) {
    throw new Error(
      `The '${runAs.name}' user cannot reach ${dir} (PostgreSQL must run as a non-root user here). ` +
        'Clone the project under a directory every user can traverse (e.g. /work or /srv), or run as a normal user.',
    )
  }
}

function writeConfig(dataDir: string, port: number, fast: boolean, runAs: RunAs | null) {
  const lines = [
    '# Written by packages/devenv on every start; edit local-postgres.ts instead.',
    "listen_addresses = '127.0.0.1'",
    `port = ${port}`,
    "unix_socket_directories = ''",
    'max_connections = 300',
    'wal_level = logical',
    'max_wal_senders = 20',
    'max_replication_slots = 20',
    "timezone = 'UTC'",
    "log_timezone = 'UTC'",
    'log_min_messages = warning',
  ]
  if (fast) lines.push('fsync = off', 'synchronous_commit = off', 'full_page_writes = off')
  const file = join(dataDir, 'devpilot.conf')
  writeFileSync(file, `${lines.join('\n')}\n`)
  if (runAs) chownSync(file, runAs.uid, runAs.gid)
}

async function initCluster(binDir: string, baseDir: string, dataDir: string, runAs: RunAs | null, log: (l: string) => void): Promise<Credentials> {
  const creds: Credentials = { user: SUPERUSER, password: randomBytes(18).toString('hex') }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const pwfile = join(baseDir, '.initdb-pw')
  writeFileSync(pwfile, `${creds.password}\n`, { mode: 0o600 })
  if (runAs) {
    assertTraversable(runAs, baseDir)
    chownSync(dataDir, runAs.uid, runAs.gid)
    chownSync(pwfile, runAs.uid, runAs.gid)
  }
  log(`initdb ${dataDir}`)
  try {
    await runServerTool(runAs, pgBin(binDir, 'initdb'), [
      '-D',
      dataDir,
      '-U',
      creds.user,
      `--pwfile=${pwfile}`,
      '--auth-host=scram-sha-256',
      '--auth-local=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C.UTF-8',
      '--no-instructions',
    ])
  } finally {
    rmSync(pwfile, { force: true })
  }
  // Replication connections (pg_recvlogical, snapshot export) from loopback, same auth.
  const hba = join(dataDir, 'pg_hba.conf')
  writeFileSync(hba, `${readFileSync(hba, 'utf8')}\nhost replication all 127.0.0.1/32 scram-sha-256\n`)
  const conf = join(dataDir, 'postgresql.conf')
  writeFileSync(conf, `${readFileSync(conf, 'utf8')}\ninclude_if_exists = 'devpilot.conf'\n`)
  writeFileSync(join(baseDir, 'credentials.json'), JSON.stringify(creds), { mode: 0o600 })
  return creds
}

async function isRunning(binDir: string, dataDir: string, runAs: RunAs | null): Promise<boolean> {
  if (!existsSync(join(dataDir, 'postmaster.pid'))) return false
  try {
    await runServerTool(runAs, pgBin(binDir, 'pg_ctl'), ['status', '-D', dataDir])
    return true
  } catch {
    return false
  }
}

/** Stops a cluster left running in baseDir by a process that died (best effort). */
export async function stopClusterIn(baseDir: string): Promise<void> {
  const dataDir = join(resolve(baseDir), 'data')
  const binDir = findPgBinDir()
  const runAs = serverUser()
  if (await isRunning(binDir, dataDir, runAs)) await runServerTool(runAs, pgBin(binDir, 'pg_ctl'), ['stop', '-D', dataDir, '-m', 'immediate', '-w'])
}

export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const log = options.log ?? (() => {})
  const binDir = findPgBinDir()
  const baseDir = resolve(options.baseDir)
  const dataDir = join(baseDir, 'data')
  const runAs = serverUser()
  const pgCtl = pgBin(binDir, 'pg_ctl')

  if (options.fresh && existsSync(baseDir)) {
    if (await isRunning(binDir, dataDir, runAs)) await runServerTool(runAs, pgCtl, ['stop', '-D', dataDir, '-m', 'immediate', '-w'])
    rmSync(baseDir, { recursive: true, force: true })
  }
  mkdirSync(baseDir, { recursive: true })
  if (runAs) assertTraversable(runAs, dirname(baseDir))

  let creds: Credentials
  const credsFile = join(baseDir, 'credentials.json')
  if (existsSync(join(dataDir, 'PG_VERSION')) && existsSync(credsFile)) {
    creds = JSON.parse(readFileSync(credsFile, 'utf8')) as Credentials
  } else {
    rmSync(dataDir, { recursive: true, force: true })
    creds = await initCluster(binDir, baseDir, dataDir, runAs, log)
  }

  // A cluster left running by a killed earlier run is ours: stop it so it restarts with this config.
  if (await isRunning(binDir, dataDir, runAs)) {
    log('stopping a cluster left running by an earlier run')
    await runServerTool(runAs, pgCtl, ['stop', '-D', dataDir, '-m', 'fast', '-w'])
  }

  let port = options.preferredPort && (await isPortFree(options.preferredPort)) ? options.preferredPort : await freePort()
  for (let attempt = 0; ; attempt++) {
    writeConfig(dataDir, port, options.fast ?? false, runAs)
    try {
      await runServerTool(runAs, pgCtl, ['start', '-D', dataDir, '-l', join(dataDir, 'server.log'), '-w', '-t', '60'])
      break
    } catch (error) {
      if (attempt >= 2) throw error
      port = await freePort() // lost a race for the port; try another
    }
  }
  log(`PostgreSQL listening on 127.0.0.1:${port} (data in ${dataDir})`)

  let stopped = false
  return {
    host: '127.0.0.1',
    port,
    user: creds.user,
    password: creds.password,
    binDir,
    baseDir,
    dataDir,
    url: (database = 'postgres') =>
      `postgres://${encodeURIComponent(creds.user)}:${encodeURIComponent(creds.password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    async stop() {
      if (stopped) return
      stopped = true
      await runServerTool(runAs, pgCtl, ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '60'])
    },
  }
}
