// The bare tools the system is compared with, run exactly as an operator would by hand:
// pg_restore of a local dump into a fresh database, tar -xzf into a fresh directory, and the same
// two fed through an OS pipe by a plain SDK GetObject from the same S3 emulator (s3-cat.mjs), so the
// table separates what the emulator costs from what the runner adds.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { LocalCluster, LocalS3 } from '@devpilot/devenv'
import { libpqEnv, psql } from '@devpilot/devenv/testing'
import { onCleanup, spawnTracked } from './processes.js'
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

const S3_CAT = join(import.meta.dirname, 's3-cat.mjs')
const piped = new Set<ChildProcess>()
onCleanup('bare S3 chains', async () => {
  for (const child of piped) child.kill('SIGKILL')
})

async function exited(child: ChildProcess, what: string): Promise<void> {
  const [code] = (await once(child, 'close')) as [number | null]
  piped.delete(child)
  if (code !== 0) throw new Error(`${what} exited with ${code}`)
}

/**
 * Times `node s3-cat.mjs … | <file> <args>`: the object downloaded by a plain SDK GetObject in its
 * own process, its stdout an OS pipe into the tool's stdin (the bench process copies no byte).
 */
async function fromS3(s3: LocalS3, bucket: string, key: string, file: string, args: string[], env: Record<string, string>): Promise<number> {
  const { ms } = await timed(async () => {
    const cat = spawn(process.execPath, [S3_CAT, s3.endpoint, s3.region, bucket, key], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { PATH: process.env.PATH ?? '', AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey },
    })
    piped.add(cat)
    if (!cat.stdout) throw new Error('s3-cat has no stdout')
    const tool = spawn(file, args, { stdio: [cat.stdout, 'ignore', 'inherit'], env: { PATH: process.env.PATH ?? '', ...env } })
    piped.add(tool)
    // The tool holds the pipe's read end now; ours would only keep it open.
    cat.stdout.destroy()
    await Promise.all([exited(cat, 's3-cat'), exited(tool, file)])
  })
  return ms
}

/** Times `s3-cat | pg_restore --exit-on-error --dbname=<fresh>`; the database is created before the clock starts. */
export async function bareS3PgRestore(cluster: LocalCluster, s3: LocalS3, bucket: string, key: string, database: string): Promise<number> {
  await createDatabase(cluster, database)
  return fromS3(s3, bucket, key, `${cluster.binDir}/pg_restore`, ['--exit-on-error', '--dbname', database], libpqEnv(cluster.url(database)))
}

/** Times `s3-cat | tar -xzf - -C <fresh dir>`. */
export async function bareS3TarExtract(s3: LocalS3, bucket: string, key: string, dir: string): Promise<number> {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  return fromS3(s3, bucket, key, 'tar', ['-xzf', '-', '-C', dir], {})
}
