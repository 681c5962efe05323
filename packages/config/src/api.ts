import { z } from 'zod'
import { databaseUrl, logLevel, pathRoots, port, secretsKey } from './fields.js'

export const apiConfigSchema = z.object({
  DATABASE_URL: databaseUrl,
  SECRETS_KEY: secretsKey,
  HOST: z.string().default('127.0.0.1').describe('Address the API listens on.'),
  PORT: port(3000).describe('Port the API listens on.'),
  LOG_LEVEL: logLevel,
  RESTORE_PATH_ROOTS: pathRoots(
    'a file restore may write under; each workspace may use only its own folder `<root>/<workspace slug>` (the API refuses other target paths)',
  ),
  LOCAL_DESTINATION_ROOTS: pathRoots('a `local` destination may point into; each workspace only into `<root>/<workspace slug>`'),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10).describe('PostgreSQL connections the API keeps open.'),
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().positive().default(10).describe('How long the API lets in-flight requests finish on SIGTERM.'),
})
export type ApiConfig = z.output<typeof apiConfigSchema>
