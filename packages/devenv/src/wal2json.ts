// Makes sure the wal2json logical decoding plugin is installed for the cluster binaries in use.
// The PITR tests produce real change streams with it; `pnpm test` calls this before starting
// clusters and installs Debian's `postgresql-<major>-wal2json` when it is missing and we are root.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { pgBin } from './pg-binaries.js'

export async function wal2jsonInstalled(binDir: string): Promise<boolean> {
  const { stdout } = await execa(pgBin(binDir, 'pg_config'), ['--pkglibdir'], { reject: false })
  const libDir = typeof stdout === 'string' && stdout.trim() ? stdout.trim() : join(binDir, '..', 'lib')
  return existsSync(join(libDir, 'wal2json.so'))
}

export async function ensureWal2json(binDir: string, log: (line: string) => void): Promise<void> {
  if (await wal2jsonInstalled(binDir)) return
  const major = /postgresql\/(\d+)\//.exec(binDir)?.[1]
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  if (!major || !isRoot) {
    log(`wal2json is not installed for ${binDir}; point-in-time tests will fail. Install it: apt-get install postgresql-${major ?? '<major>'}-wal2json`)
    return
  }
  log(`installing postgresql-${major}-wal2json (needed by the point-in-time restore tests)`)
  await execa('apt-get', ['update'], { reject: false, env: { DEBIAN_FRONTEND: 'noninteractive' } })
  const install = await execa('apt-get', ['install', '-y', '--no-install-recommends', `postgresql-${major}-wal2json`], {
    reject: false,
    all: true,
    env: { DEBIAN_FRONTEND: 'noninteractive' },
  })
  if (install.exitCode !== 0) log(`could not install wal2json (exit ${install.exitCode}): ${String(install.all ?? '').slice(-500)}`)
}
