// Start-up time of both services (not part of `pnpm bench`'s table): from spawning the process to
// its /healthz answering 200 (listening) and to its /readyz answering 200 (migrations done, pg-boss
// started, database reachable), against a fresh fast cluster of its own. Each variant is a node
// binary and a way to run the service: `compiled` (dist/, as production runs it) or `tsx` (the
// TypeScript sources through `node --import tsx`, as the project ran before it shipped JavaScript).
// Variants run interleaved round by round, so all of them see the same background load, and the
// CPU time the process used until it was ready (utime + stime from /proc) is reported beside the
// wall time: on a shared machine the wall time mostly measures the neighbours, CPU time does not.
//   pnpm bench:startup [-- --runs 7] [--variant node=<path>,runtime=compiled|tsx ...]
// Without --variant it compares this process's node, compiled, with this process's node via tsx.
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { RUNNER_NODE_OPTIONS } from '@devpilot/config'
import { migrateDatabase } from '@devpilot/db'
import { COMPILED_ENTRIES, compiledServiceArgs, DATA_DIR, freePort, PROJECT_ROOT, type ServiceName, startLocalCluster } from '@devpilot/devenv'
import { psql } from '@devpilot/devenv/testing'
import { generateSecretsKey } from '@devpilot/secrets'
import { execa } from 'execa'
import { cleanupAll, installSignalHandlers, onCleanup, spawnTracked } from './lib/processes.js'

const SOURCE_ENTRIES: Record<ServiceName, string> = { api: 'services/api/src/server.ts', runner: 'services/runner/src/main.ts' }

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: { runs: { type: 'string', default: '7' }, variant: { type: 'string', multiple: true } },
})
const runs = Number(values.runs)
const log = (line: string) => console.log(`[startup] ${line}`)

interface Variant {
  label: string
  node: string
  runtime: 'compiled' | 'tsx'
}

function parseVariant(text: string): Variant {
  const fields = Object.fromEntries(text.split(',').map((pair) => pair.split('=') as [string, string]))
  const runtime = fields.runtime === 'tsx' ? 'tsx' : 'compiled'
  const node = fields.node ?? process.execPath
  return { label: '', node, runtime }
}

const variants: Variant[] = (values.variant?.length ? values.variant : ['runtime=compiled', 'runtime=tsx']).map(parseVariant)
for (const v of variants) {
  const { stdout } = await execa(v.node, ['--version'])
  v.label = `Node ${stdout.trim()}, ${v.runtime}`
}

function argsFor(service: ServiceName, runtime: Variant['runtime']): string[] {
  return runtime === 'tsx' ? ['--import', 'tsx', SOURCE_ENTRIES[service]] : compiledServiceArgs(service)
}

async function untilOk(url: string, since: number, child: { exitCode: number | null }): Promise<number> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${url}: the service exited with ${child.exitCode}`)
    try {
      if ((await fetch(url)).ok) return performance.now() - since
    } catch {}
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** CPU time (user + system) a process has used so far, in ms; /proc/<pid>/stat counts in 1/100 s. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/** One start: spawn → /healthz 200 → /readyz 200, then SIGTERM and wait for the exit. */
async function startOnce(service: ServiceName, variant: Variant, env: Record<string, string>) {
  const port = await freePort()
  const serviceEnv =
    service === 'api' ? { ...env, HOST: '127.0.0.1', PORT: String(port) } : { ...env, NODE_OPTIONS: RUNNER_NODE_OPTIONS, METRICS_PORT: String(port) }
  const base = `http://127.0.0.1:${port}`
  let stderr = ''
  const since = performance.now()
  const child = spawnTracked(variant.node, argsFor(service, variant.runtime), {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...serviceEnv },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'pipe',
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8')
  })
  const healthMs = await untilOk(`${base}/healthz`, since, child)
  const readyMs = await untilOk(`${base}/readyz`, since, child)
  const readyCpuMs = child.pid === undefined ? Number.NaN : cpuMs(child.pid)
  child.kill('SIGTERM')
  await child
  return { healthMs, readyMs, readyCpuMs, warnings: stderr.trim() }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2
}

installSignalHandlers()
let exitCode = 0
try {
  const root = join(DATA_DIR, 'bench', `startup-${process.pid}`)
  const cluster = await startLocalCluster({ baseDir: join(root, 'pg'), fresh: true, fast: true })
  onCleanup('PostgreSQL cluster', async () => {
    await cluster.stop()
    rmSync(root, { recursive: true, force: true })
  })
  await psql(cluster.url(), 'CREATE DATABASE devpilot')
  const databaseUrl = cluster.url('devpilot')
  // Migrated once up front: every start then finds the schema current, as a restart in production does.
  await migrateDatabase(databaseUrl)
  const env = { DATABASE_URL: databaseUrl, SECRETS_KEY: generateSecretsKey(), LOG_LEVEL: 'warn', PG_BIN_DIR: cluster.binDir }
  log(`${runs} rounds; variants: ${variants.map((v) => v.label).join(' | ')}; entries ${Object.values(COMPILED_ENTRIES).join(', ')} or src`)

  const samples = new Map<string, { healthMs: number[]; readyMs: number[]; readyCpuMs: number[]; warnings: Set<string> }>()
  for (let round = 0; round < runs; round++) {
    for (const service of ['api', 'runner'] as const) {
      for (const variant of variants) {
        const key = `${service} | ${variant.label}`
        const s = samples.get(key) ?? { healthMs: [], readyMs: [], readyCpuMs: [], warnings: new Set<string>() }
        samples.set(key, s)
        const r = await startOnce(service, variant, env)
        s.healthMs.push(r.healthMs)
        s.readyMs.push(r.readyMs)
        s.readyCpuMs.push(r.readyCpuMs)
        if (r.warnings) s.warnings.add(r.warnings.split('\n')[0] ?? '')
      }
    }
  }
  console.log(
    '\n| service | variant | spawn → /healthz 200, median (min–max) | spawn → /readyz 200, median (min–max) | CPU time until ready, median (min–max) | stderr at start |',
  )
  console.log('| --- | --- | --- | --- | --- | --- |')
  for (const [key, s] of samples) {
    const [service, label] = key.split(' | ')
    const fmt = (xs: number[]) => `${median(xs).toFixed(0)} ms (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`
    console.log(
      `| ${service} | ${label} | ${fmt(s.healthMs)} | ${fmt(s.readyMs)} | ${fmt(s.readyCpuMs)} | ${s.warnings.size ? [...s.warnings].join('; ') : 'none'} |`,
    )
  }
} catch (error) {
  console.error('[startup] failed:', error instanceof Error ? (error.stack ?? error.message) : error)
  exitCode = 1
} finally {
  await cleanupAll()
}
process.exit(exitCode)
