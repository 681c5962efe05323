// What every benchmark gets: the running system, the bench workspace, a logger, and the run's
// options: the runner variants to compare (node binary, compiled or tsx; one unless --variant is
// given), how many interleaved rounds, which PG_RESTORE_JOBS settings to measure.
import type { ServiceRuntime } from './services.js'
import type { System } from './system.js'
import type { Workspace } from './workspace.js'

export interface RunnerVariant extends ServiceRuntime {
  /** Shown in the table and in latest.json (e.g. `Node v24.22.3, compiled`); empty for the default. */
  label: string
}

export interface BenchOptions {
  variants: RunnerVariant[]
  repeats: number
  /** PG_RESTORE_JOBS values the database benchmark measures (1, 2 by default). */
  jobs: number[]
}

export interface BenchContext {
  system: System
  ws: Workspace
  log: (line: string) => void
  options: BenchOptions
}
