import { z } from 'zod'
import { databaseUrl, logLevel, metricsToken, pathRoots, port, previousSecretsKey, seconds, secretsKey, webhookAllowPrivateNetworks } from './fields.js'

export const runnerConfigSchema = z.object({
  DATABASE_URL: databaseUrl,
  SECRETS_KEY: secretsKey,
  SECRETS_KEY_PREVIOUS: previousSecretsKey,
  LOG_LEVEL: logLevel,
  RESTORE_PATH_ROOTS: pathRoots('a file restore may write under; each workspace only into `<root>/<workspace slug>`'),
  LOCAL_DESTINATION_ROOTS: pathRoots('a `local` destination may point into; each workspace only into `<root>/<workspace slug>`'),
  RUNNER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2).describe('Restores one runner process performs at once.'),
  RUNNER_VALIDATION_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .max(64)
    .default(1)
    .describe('Validations of uploaded backups one runner process performs at once (their own queue, beside the restores).'),
  RUNNER_LOST_AFTER_SECONDS: seconds(60).describe(
    'A restore whose runner has not sent a heartbeat for this long is taken over (retried from scratch) or failed with runner_lost.',
  ),
  RUNNER_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(2).describe('Attempts per restore before a lost runner fails it with runner_lost.'),
  RUNNER_TARGET_BUSY_RETRY_SECONDS: seconds(2).describe(
    'When another restore holds the same target, how long a pending restore waits before its job is tried again (a finishing restore also wakes the next one at once).',
  ),
  RUNNER_LEFTOVER_SCAN_SECONDS: seconds(300).describe(
    'How often each target server is looked at for staging databases left by restores that are over (e.g. failed while the server was down); an unreachable server is retried sooner, with a backoff.',
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
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: webhookAllowPrivateNetworks,
  WEBHOOK_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .max(32)
    .default(4)
    .describe('Webhook deliveries one runner process makes at once (their own queue: a slow receiver never delays a restore).'),
  WEBHOOK_TIMEOUT_SECONDS: z.coerce
    .number()
    .positive()
    .max(120)
    .default(10)
    .describe('How long one delivery attempt may take, from connecting to the answer; a receiver slower than this counts as a failed attempt.'),
  WEBHOOK_RETRY_DELAY_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(3600)
    .default(30)
    .describe(
      'Base of the exponential backoff between delivery attempts: retry n waits between 2^(n-1) and 2^n times this (capped by WEBHOOK_RETRY_DELAY_MAX_SECONDS); attempts go on for at least 24 h. Tests set 1.',
    ),
  WEBHOOK_RETRY_DELAY_MAX_SECONDS: z.coerce.number().int().min(1).max(86_400).default(14_400).describe('Longest wait between two delivery attempts.'),
})
export type RunnerConfig = z.output<typeof runnerConfigSchema>

/**
 * V8 options every runner process starts with (NODE_OPTIONS). A restore streams its artifact in
 * 64 KiB chunks that die young; V8's default young generation (16 MiB semi-spaces) holds far more
 * of them than needed: 2 MiB took the runner's peak RSS from ~191 to ~165 MiB on a 256 MiB dump,
 * and restored faster (services/runner/bench/memory.ts). Dockerfile.runner sets the same.
 */
export const RUNNER_NODE_OPTIONS = '--max-semi-space-size=2'
