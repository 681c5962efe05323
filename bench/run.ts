// `pnpm bench`: brings the whole system up on its own (fresh fast cluster and s3rver under
// .data/bench/suite, the API and one runner as child processes), runs every benchmark against the
// bare tools on this machine in this run, prints the table of ratios and writes
// bench/results/latest.json. Everything it started is stopped at the end, on error and on Ctrl-C.
//   pnpm bench [-- --only pickup,burst,database,memory,files,api,pitr,preview] [--repeats 3] [--jobs 1,2]
//              [--variant node=<path>,runtime=compiled|tsx ...] [--cpu-prof]
// --variant runs the database and files restores once per runner variant in every round (the
// variants interleaved, so all see the same load); --cpu-prof writes V8 CPU profiles of the API
// and of every runner to .data/bench/profiles (open them in Chrome DevTools or speedscope).
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { DATA_DIR } from '@devpilot/devenv'
import { execa } from 'execa'
import { benchApiLoad } from './benchmarks/api-load.js'
import { benchBurst } from './benchmarks/burst.js'
import { benchDatabaseRestore, type DatabaseRestoreResult } from './benchmarks/database-restore.js'
import { benchFilesRestore } from './benchmarks/files-restore.js'
import { benchPickupLatency } from './benchmarks/pickup-latency.js'
import { benchPitrReplay } from './benchmarks/pitr-replay.js'
import { benchPreviewCancel } from './benchmarks/preview-cancel.js'
import { benchRunnerMemory } from './benchmarks/runner-memory.js'
import type { BenchContext, RunnerVariant } from './lib/context.js'
import { describeMachine, loadAverage } from './lib/machine.js'
import { cleanupAll, installSignalHandlers } from './lib/processes.js'
import { type BenchResult, formatTable, type ResultRow, writeResults } from './lib/report.js'
import { startSystem } from './lib/system.js'
import { createWorkspace } from './lib/workspace.js'

const ALL = ['pickup', 'burst', 'database', 'memory', 'files', 'api', 'pitr', 'preview'] as const
const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    only: { type: 'string' },
    repeats: { type: 'string', default: '3' },
    jobs: { type: 'string', default: '1,2' },
    variant: { type: 'string', multiple: true },
    'cpu-prof': { type: 'boolean', default: false },
  },
})
const only = new Set(values.only ? values.only.split(',') : ALL)
const profileDir = join(DATA_DIR, 'bench', 'profiles')
const profileArgs = (name: string) => (values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, name)}`] : [])

async function parseVariant(text: string, labelled: boolean): Promise<RunnerVariant> {
  const fields = Object.fromEntries(text.split(',').map((pair) => pair.split('=') as [string, string]))
  const node = fields.node ?? process.execPath
  const runtime = fields.runtime === 'tsx' ? 'tsx' : 'compiled'
  const version = (await execa(node, ['--version'])).stdout.trim()
  return { node, runtime, nodeArgs: profileArgs('runner'), label: labelled ? `Node ${version}, ${runtime}` : '' }
}
const variantTexts = values.variant?.length ? values.variant : ['runtime=compiled']
const variants = await Promise.all(variantTexts.map((text) => parseVariant(text, variantTexts.length > 1)))
const began = performance.now()
const elapsed = () => `${((performance.now() - began) / 1000).toFixed(0).padStart(4)} s`
const log = (line: string) => console.log(`[bench ${elapsed()}] ${line}`)

installSignalHandlers()
let exitCode = 0
try {
  if (values['cpu-prof']) mkdirSync(profileDir, { recursive: true })
  const system = await startSystem(log, { apiRuntime: { node: process.execPath, runtime: 'compiled', nodeArgs: profileArgs('api') } })
  const machine = await describeMachine(system.cluster)
  log(`${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB; Node ${machine.node}; PostgreSQL ${machine.postgres}; load ${loadAverage()}`)
  const options = { variants, repeats: Number(values.repeats), jobs: values.jobs.split(',').map(Number) }
  const ctx: BenchContext = { system, ws: await createWorkspace(system), log, options }

  const rows: ResultRow[] = []
  const details: Record<string, unknown> = {}
  // The 1-minute load average around each benchmark: anything else running on the machine shows.
  const record = async <R extends BenchResult>(name: string, bench: () => Promise<R>): Promise<R> => {
    const loadBefore = loadAverage()
    const result = await bench()
    rows.push(...result.rows)
    details[name] = { ...result.details, loadAverage: { before: loadBefore, after: loadAverage() } }
    return result
  }
  if (only.has('pickup')) await record('pickupLatency', () => benchPickupLatency(ctx))
  if (only.has('burst')) await record('burst', () => benchBurst(ctx))
  let database: DatabaseRestoreResult | undefined
  if (only.has('database') || only.has('memory')) database = await record('databaseRestore', () => benchDatabaseRestore(ctx))
  if (only.has('memory') && database) {
    const large = database
    await record('runnerMemory', () => benchRunnerMemory(ctx, large))
  }
  if (only.has('files')) await record('filesRestore', () => benchFilesRestore(ctx))
  if (only.has('api')) await record('apiLoad', () => benchApiLoad(ctx))
  if (only.has('pitr')) await record('pitrReplay', () => benchPitrReplay(ctx))
  if (only.has('preview')) await record('previewCancel', () => benchPreviewCancel(ctx))

  const totalSeconds = +((performance.now() - began) / 1000).toFixed(1)
  console.log(`\n${formatTable(rows)}\n`)
  const file = join(import.meta.dirname, 'results', 'latest.json')
  writeResults(file, { finishedAt: new Date().toISOString(), totalSeconds, machine, rows, details })
  log(`done in ${totalSeconds} s; results in ${file}`)
} catch (error) {
  console.error('[bench] failed:', error instanceof Error ? (error.stack ?? error.message) : error)
  exitCode = 1
} finally {
  await cleanupAll()
}
process.exit(exitCode)
