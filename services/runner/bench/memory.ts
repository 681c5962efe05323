// Memory benchmark (not a test): restores one large artifact through a real runner process and
// reports the runner's peak RSS (VmHWM from /proc), to show that streaming keeps memory flat
// whatever the artifact's size. Usage:
//   pnpm --filter @devpilot/runner bench:memory -- [--mib 256] [--kind files|database] [--runtime compiled|tsx]
// The runner runs as production does (compiled, `pnpm build` first; the script does) or, with
// `--runtime tsx`, from its TypeScript sources through tsx, for comparison. It starts its own
// PostgreSQL cluster under .data/bench and removes everything afterwards.
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createWriteStream, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { RUNNER_NODE_OPTIONS } from '@devpilot/config'
import { insertBackup, insertDestination, insertPlan, insertServer, migrateDatabase, openDatabase } from '@devpilot/db'
import { compiledServiceArgs, DATA_DIR, PROJECT_ROOT, startLocalCluster } from '@devpilot/devenv'
import {
  createRestoreWithJob,
  fileSize,
  makeTar,
  pgDump,
  psql,
  seedWorkspace,
  serviceBaseEnv,
  serviceCommand,
  sha256File,
  startQueue,
  testSecretBox,
} from '@devpilot/devenv/testing'
import { execa } from 'execa'

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: { mib: { type: 'string', default: '256' }, kind: { type: 'string', default: 'files' }, runtime: { type: 'string', default: 'compiled' } },
  allowPositionals: true,
})
const mib = Number(values.mib)
const kind = values.kind === 'database' ? 'database' : 'files'
const runnerArgs = values.runtime === 'tsx' ? serviceCommand('runner').args : compiledServiceArgs('runner')
const root = join(DATA_DIR, 'bench', `runner-memory-${process.pid}`)
mkdirSync(root, { recursive: true })
const log = (line: string) => console.log(`[bench] ${line}`)

const cluster = await startLocalCluster({ baseDir: join(root, 'pg'), fresh: true, fast: true })
try {
  const url = cluster.url('bench')
  await psql(cluster.url(), 'CREATE DATABASE bench')
  await migrateDatabase(url)
  const boss = await startQueue(url)
  const database = openDatabase(url, { max: 2 })
  const { key, box } = testSecretBox()
  const ws = await seedWorkspace(database.db)
  // Roots are per workspace: the runner's roots are the parents, the workspace uses `<root>/<slug>`.
  const destRoot = join(root, 'destination')
  const filesRoots = join(root, 'files')
  const destDir = join(destRoot, ws.slug)
  const filesRoot = join(filesRoots, ws.slug)
  mkdirSync(destDir, { recursive: true })
  mkdirSync(filesRoot, { recursive: true })
  const destination = await insertDestination(database.db, box, { workspaceId: ws.workspaceId, name: 'bench', type: 'local', path: destDir })

  let artifactKey: string
  let planId: string
  let target: { targetPath?: string; targetServerId?: string; targetDatabase?: string }
  if (kind === 'files') {
    log(`writing ${mib} MiB of random data and archiving it with tar`)
    const src = join(root, 'src')
    mkdirSync(src)
    const out = createWriteStream(join(src, 'big.bin'))
    for (let i = 0; i < mib; i++) if (!out.write(randomBytes(1024 * 1024))) await once(out, 'drain')
    out.end()
    await once(out, 'finish')
    artifactKey = 'big.tar'
    await makeTar(src, 'tar', join(destDir, artifactKey))
    rmSync(src, { recursive: true, force: true })
    planId = (await insertPlan(database.db, { workspaceId: ws.workspaceId, name: 'files', type: 'files', sourcePath: src, destinationId: destination.id })).id
    target = { targetPath: join(filesRoot, 'restored') }
  } else {
    log(`creating a ~${mib} MiB table and dumping it (pg_custom, uncompressed)`)
    const source = cluster.url('source')
    await psql(cluster.url(), 'CREATE DATABASE source')
    const rows = Math.ceil((mib * 1024 * 1024) / 1100)
    await psql(source, `CREATE TABLE big AS SELECT i, repeat(md5(i::text), 32) AS payload FROM generate_series(1, ${rows}) i;`)
    artifactKey = 'big.dump'
    await pgDump(source, 'pg_custom', join(destDir, artifactKey), ['--compress=0'])
    const server = await insertServer(database.db, box, {
      workspaceId: ws.workspaceId,
      name: 'bench',
      host: cluster.host,
      port: cluster.port,
      username: cluster.user,
      password: cluster.password,
      sslmode: 'disable',
    })
    planId = (
      await insertPlan(database.db, {
        workspaceId: ws.workspaceId,
        name: 'db',
        type: 'database',
        sourceServerId: server.id,
        sourceDatabase: 'source',
        destinationId: destination.id,
      })
    ).id
    target = { targetServerId: server.id, targetDatabase: 'restored' }
  }
  const artifact = join(destDir, artifactKey)
  const size = fileSize(artifact)
  const backup = await insertBackup(database.db, {
    workspaceId: ws.workspaceId,
    planId,
    format: kind === 'files' ? 'tar' : 'pg_custom',
    artifactKey,
    status: 'completed',
    sha256: await sha256File(artifact),
    sizeBytes: size,
  })

  const runner = execa(process.execPath, runnerArgs, {
    cwd: PROJECT_ROOT,
    reject: false,
    buffer: false,
    extendEnv: false,
    env: {
      ...serviceBaseEnv(),
      DATABASE_URL: url,
      SECRETS_KEY: key,
      LOG_LEVEL: 'info',
      NODE_OPTIONS: process.env.RUNNER_NODE_OPTIONS ?? RUNNER_NODE_OPTIONS,
      RESTORE_PATH_ROOTS: filesRoots,
      LOCAL_DESTINATION_ROOTS: destRoot,
      METRICS_PORT: '0',
      PG_BIN_DIR: cluster.binDir,
    },
  })
  let output = ''
  runner.stdout?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000)
  })
  runner.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk))
  while (!output.includes('"runner ready"')) {
    if (runner.exitCode !== null) throw new Error(`runner exited: ${output}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  const started = Date.now()
  const { restoreId } = await createRestoreWithJob(database.sql, boss, {
    workspaceId: ws.workspaceId,
    triggeredByUserId: ws.userId,
    backupId: backup.id,
    planId,
    ...target,
  })
  let status = 'pending'
  let error: string | null = null
  while (status === 'pending' || status === 'in_progress') {
    await new Promise((r) => setTimeout(r, 200))
    const [row] = await database.sql<{ status: string; error_message: string | null }[]>`SELECT status, error_message FROM restores WHERE id = ${restoreId}`
    status = row?.status ?? 'missing'
    error = row?.error_message ?? null
  }
  const seconds = (Date.now() - started) / 1000
  const statusFile = readFileSync(`/proc/${runner.pid}/status`, 'utf8')
  const peakKiB = Number(/VmHWM:\s+(\d+) kB/.exec(statusFile)?.[1] ?? Number.NaN)
  runner.kill('SIGTERM')
  await runner
  await boss.stop({ graceful: false })
  await database.close()
  console.log(
    JSON.stringify({
      node: process.version,
      runtime: values.runtime === 'tsx' ? 'tsx' : 'compiled',
      kind,
      status,
      error,
      artifactMiB: +(size / 1024 / 1024).toFixed(1),
      seconds: +seconds.toFixed(1),
      throughputMiBps: +(size / 1024 / 1024 / seconds).toFixed(1),
      runnerPeakRssMiB: +(peakKiB / 1024).toFixed(1),
    }),
  )
} finally {
  await cluster.stop()
  rmSync(root, { recursive: true, force: true })
}
