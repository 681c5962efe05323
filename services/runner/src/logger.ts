// The runner's pino logger: the shared setup of @devpilot/observability (one redact list for both
// services) with `service: runner` on every line. Every restore logs through a child carrying
// restoreId.
import { createLogger as createServiceLogger, type LogDestination, type Logger } from '@devpilot/observability'

export type { Logger }

/** `destination` defaults to stdout; tests pass a stream to read the lines back. */
export function createLogger(level: string, destination?: LogDestination): Logger {
  return createServiceLogger({ level, service: 'runner', ...(destination ? { destination } : {}) })
}
