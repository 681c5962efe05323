// Scratch directories under the orchestrator's .data/test folder, removed at teardown.
import { mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { testEnv } from './env.js'
import type { Teardown } from './teardown.js'

export function scratchDir(t: Teardown, prefix = 'tmp'): string {
  const dir = mkdtempSync(join(testEnv().DEVPILOT_TEST_SCRATCH_DIR, `${prefix}-`))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}
