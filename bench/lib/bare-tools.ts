// The bare tools the system is compared with, run exactly as an operator would by hand:
// pg_restore of a local dump into a fresh database, tar -xzf into a fresh directory.
import { mkdirSync, rmSync } from 'node:fs'
import type { LocalCluster } from '@devpilot/devenv'
import { libpqEnv, psql } from '@devpilot/devenv/testing'
import { spawnTracked } from './processes.js'
import { timed } from './stats.js'

export async function createDatabase(cluster: LocalCluster, name: string): Promise<void> {
  await psql(cluster.url(), `DROP DATABASE IF EXISTS ${name} WITH (FORCE); CREATE DATABASE ${name}`)
}

export async function dropDatabase(cluster: LocalCluster, name: string): Promise<void> {
  await psql(cluster.url(), `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
}

/** Times `pg_restore [--jobs=N] --exit-on-error --dbname=<fresh> <file>`; the database is created before the clock starts. */
export async function barePgRestore(cluster: LocalCluster, file: string, database: string, jobs = 1): Promise<number> {
  await createDatabase(cluster, database)
  const args = ['--exit-on-error', ...(jobs > 1 ? [`--jobs=${jobs}`] : []), '--dbname', database, file]
  const { ms } = await timed(() => spawnTracked(`${cluster.binDir}/pg_restore`, args, { env: libpqEnv(cluster.url(database)) }))
  return ms
}

/** Times `tar -xzf <file> -C <fresh dir>`; the directory is created before the clock starts. */
export async function bareTarExtract(file: string, dir: string): Promise<number> {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const { ms } = await timed(() => spawnTracked('tar', ['-xzf', file, '-C', dir], {}))
  return ms
}
