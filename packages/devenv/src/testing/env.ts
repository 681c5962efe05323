// The environment the test orchestrator (`pnpm test`, packages/devenv/src/cli/test.ts) hands to
// every test file: real clusters, a migrated template database and a real S3 server.
import { z } from 'zod'

const testEnvSchema = z.object({
  DEVPILOT_TEST_PG_URL: z.string().describe('superuser URL of the main test cluster'),
  DEVPILOT_TEST_PG2_URL: z.string().describe('superuser URL of the second test cluster ("another server")'),
  DEVPILOT_TEST_TEMPLATE_DB: z.string(),
  DEVPILOT_TEST_S3_ENDPOINT: z.string(),
  DEVPILOT_TEST_SCRATCH_DIR: z.string(),
  PG_BIN_DIR: z.string(),
  FAULT_SCALE: z.enum(['ci', 'full']).default('ci').describe('fault tests: `ci` runs them small; `full` at the sizes the issue measured (`pnpm faults`)'),
})
export type TestEnv = z.infer<typeof testEnvSchema>

let cached: TestEnv | undefined
export function testEnv(): TestEnv {
  if (cached) return cached
  const parsed = testEnvSchema.safeParse(process.env)
  if (!parsed.success) {
    throw new Error(
      `This test needs the environment that \`pnpm test\` sets up (missing: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}). ` +
        'Run it as `pnpm test -- path/to/file.test.ts`.',
    )
  }
  cached = parsed.data
  return cached
}

/** A fault test's size: `ci` in `pnpm test`, `full` under `pnpm faults` (FAULT_SCALE=full). */
export function atFaultScale<T>(sizes: { ci: T; full: T }): T {
  return sizes[testEnv().FAULT_SCALE]
}
