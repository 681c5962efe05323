// The runner's pino logger. Every restore logs through a child carrying restoreId; secrets that
// could ride along in objects (passwords, S3 keys, connection strings) are redacted by path.
import { pino } from 'pino'

export type Logger = pino.Logger

/** `destination` defaults to stdout; tests pass a stream to read the lines back. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'runner' },
    redact: {
      paths: [
        'password',
        '*.password',
        'secretAccessKey',
        '*.secretAccessKey',
        'env.PGPASSWORD',
        '*.env.PGPASSWORD',
        'DATABASE_URL',
        '*.DATABASE_URL',
        'SECRETS_KEY',
        '*.SECRETS_KEY',
        'connectionString',
        '*.connectionString',
      ],
      censor: '[redacted]',
    },
  }
  return destination ? pino(options, destination) : pino(options)
}
