// The one pino setup of both services: the same redact list everywhere, so a secret that one
// service redacts can never reach the log through the other. Paths cover passwords, S3 keys,
// tokens, the authorization header and the connection strings and keys of the environment.
import { pino } from 'pino'

export type Logger = pino.Logger
export type LogDestination = pino.DestinationStream

export const REDACT_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  '*.authorization',
  'password',
  '*.password',
  '*.*.password',
  'secretAccessKey',
  '*.secretAccessKey',
  '*.*.secretAccessKey',
  'token',
  '*.token',
  'env.PGPASSWORD',
  '*.env.PGPASSWORD',
  'DATABASE_URL',
  '*.DATABASE_URL',
  'SECRETS_KEY',
  '*.SECRETS_KEY',
  'connectionString',
  '*.connectionString',
  // Webhook signing secrets (whsec_…) and the signatures made with them.
  'secret',
  '*.secret',
  '*.*.secret',
  '*.headers["webhook-signature"]',
]

export interface LoggerOptions {
  level: string
  /** Written as `service` on every line (in place of pino's pid and hostname). */
  service?: string
  /** Defaults to stdout; tests pass a stream to read the lines back. */
  destination?: LogDestination
}

export function createLogger(options: LoggerOptions): Logger {
  const config: pino.LoggerOptions = {
    level: options.level,
    ...(options.service ? { base: { service: options.service } } : {}),
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  }
  return options.destination ? pino(config, options.destination) : pino(config)
}
