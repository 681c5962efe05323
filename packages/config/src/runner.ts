import { z } from 'zod'
import { databaseUrl, logLevel, metricsToken, pathRoots, port, previousSecretsKey, seconds, secretsKey } from './fields.js'

export const runnerConfigSchema = z.object({
  DATABASE_URL: databaseUrl,
  SECRETS_KEY: secretsKey,
  SECRETS_KEY_PREVIOUS: previousSecretsKey,
  LOG_LEVEL: logLevel,
  RESTORE_PATH_ROOTS: pathRoots('a file restore may write under; each workspace only into `<root>/<workspace slug>`'),
  LOCAL_DESTINATION_ROOTS: pathRoots('a `local` destination may point into; each workspace only into `<root>/<workspace slug>`'),
  RUNNER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2).describe('Restores one runner process performs at once.'),
  RUNNER_LOST_AFTER_SECONDS: seconds(60).describe(
    'A restore whose runner has not sent a heartbeat for this long is taken over (retried from scratch) or failed with runner_lost.',
  ),
  RUNNER_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(2).describe('Attempts per restore before a lost runner fails it with runner_lost.'),
  RUNNER_TARGET_BUSY_RETRY_SECONDS: seconds(2).describe(
    'When another restore holds the same target, how long a pending restore waits before its job is tried again (a finishing restore also wakes the next one at once).',
  ),
  RUNNER_ID: z.string().min(1).max(200).optional().describe('Name this runner records on the restores it runs. Defaults to <hostname>:<pid>:<random>.'),
  SHUTDOWN_GRACE_SECONDS: seconds(300).describe('On SIGTERM, how long in-flight restores may run before they are failed cleanly.'),
  RUNNER_TEMP_DIR: z.string().optional().describe('Directory for spooled artifacts (parallel pg_restore). Defaults to the OS temp directory.'),
  PG_RESTORE_JOBS: z.coerce
    .number()
    .int()
    .min(1)
    .max(64)
    .default(1)
    .describe('pg_restore -j for custom and tar dumps; above 1 the artifact is spooled to a temporary file first.'),
  VERIFY_STATEMENT_TIMEOUT_SECONDS: seconds(60).describe(
    'Verification before the swap: statement timeout of each row count and each plan check (read-only transactions on the staging database).',
  ),
  PG_BIN_DIR: z
    .string()
    .optional()
    .describe('Directory with pg_restore and psql. Defaults to `pg_config --bindir`, then the newest /usr/lib/postgresql/*/bin.'),
  RUNNER_FAILPOINT: z
    .string()
    .regex(/^files\.switch:[1-8]$/, 'expected files.switch:<step 1-8>')
    .optional()
    .describe(
      'Fault tests only, never in production: `files.switch:<k>` makes the runner SIGKILL itself at step k of a file restore switch (see docs/restore-semantics.md).',
    ),
  METRICS_HOST: z.string().default('127.0.0.1').describe('Address of the runner health and metrics endpoint.'),
  METRICS_TOKEN: metricsToken,
  METRICS_PORT: port(9465).describe('Port of the runner health and metrics endpoint (0 = any free port).'),
})
export type RunnerConfig = z.output<typeof runnerConfigSchema>

/**
 * V8 options every runner process starts with (NODE_OPTIONS). A restore streams its artifact in
 * 64 KiB chunks that die young; V8's default young generation (16 MiB semi-spaces) holds far more
 * of them than needed: 2 MiB took the runner's peak RSS from ~191 to ~165 MiB on a 256 MiB dump,
 * and restored faster (services/runner/bench/memory.ts). Dockerfile.runner sets the same.
 */
export const RUNNER_NODE_OPTIONS = '--max-semi-space-size=2'
