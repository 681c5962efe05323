// pino options for the API: request ids on every line, secrets redacted wherever they appear in
// logged objects (headers, bodies, errors).
import pino, { type Logger } from 'pino'

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
]

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } })
}
