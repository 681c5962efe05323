import { z } from 'zod'
import { databaseUrl, logLevel, metricsToken, pathRoots, port, previousSecretsKey, seconds, secretsKey, webhookAllowPrivateNetworks } from './fields.js'

export const apiConfigSchema = z.object({
  DATABASE_URL: databaseUrl,
  SECRETS_KEY: secretsKey,
  SECRETS_KEY_PREVIOUS: previousSecretsKey,
  HOST: z.string().default('127.0.0.1').describe('Address the API listens on.'),
  PORT: port(3000).describe('Port the API listens on.'),
  LOG_LEVEL: logLevel,
  RESTORE_PATH_ROOTS: pathRoots(
    'a file restore may write under; each workspace may use only its own folder `<root>/<workspace slug>` (the API refuses other target paths)',
  ),
  LOCAL_DESTINATION_ROOTS: pathRoots('a `local` destination may point into; each workspace only into `<root>/<workspace slug>`'),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10).describe('PostgreSQL connections the API keeps open.'),
  AUTH_FAILURE_LIMIT: z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(20)
    .describe('Failed authentications one client address may make per window before it gets 429 (per API process).'),
  AUTH_FAILURE_WINDOW_SECONDS: seconds(60).describe('Length of the window AUTH_FAILURE_LIMIT counts in; a blocked address may try again when it ends.'),
  METRICS_TOKEN: metricsToken,
  IDEMPOTENCY_KEY_TTL_SECONDS: seconds(86_400).describe(
    'How long an Idempotency-Key stays bound to the restore it started; after that the same key starts a new restore.',
  ),
  UPLOAD_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(5 * 1024 ** 4)
    .default(100 * 1024 ** 3)
    .describe(
      'Largest artifact POST /v1/plans/{id}/uploads accepts, in bytes (default 100 GiB, at most 5 TiB, the S3 object limit); counted while streaming, a larger body is answered 413 and nothing is kept.',
    ),
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().positive().default(10).describe('How long the API lets in-flight requests finish on SIGTERM.'),
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: webhookAllowPrivateNetworks,
})
export type ApiConfig = z.output<typeof apiConfigSchema>
