// How `pnpm start` and `pnpm bench` run the services: as production does, the JavaScript that
// `pnpm build` emits into dist/, on this process's Node (Node 24 from node_modules/.bin under pnpm).
// The `devpilot-compiled` export condition makes Node load every workspace package from its dist/
// too; without it the packages resolve to their TypeScript sources, which is what tsx (tests, dev) wants.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { PROJECT_ROOT } from './paths.js'

export const COMPILED_CONDITION = 'devpilot-compiled'

/** Entry files of the compiled services, relative to the project root. */
export const COMPILED_ENTRIES = {
  api: 'services/api/dist/server.js',
  runner: 'services/runner/dist/main.js',
} as const

export type ServiceName = keyof typeof COMPILED_ENTRIES

/** `node` arguments that run a compiled service; fails when `pnpm build` has not run. */
export function compiledServiceArgs(service: ServiceName): string[] {
  const entry = COMPILED_ENTRIES[service]
  if (!existsSync(join(PROJECT_ROOT, entry))) throw new Error(`${entry} is missing: run \`pnpm build\` first`)
  return [`--conditions=${COMPILED_CONDITION}`, entry]
}
