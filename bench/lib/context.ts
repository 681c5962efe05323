// What every benchmark gets: the running system, the bench workspace and a logger.
import type { System } from './system.js'
import type { Workspace } from './workspace.js'

export interface BenchContext {
  system: System
  ws: Workspace
  log: (line: string) => void
}
