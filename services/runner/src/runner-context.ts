// What every part of the runner's job handling is given: the product database, the secrets box,
// config, this runner's identity and tools, and the two ways back to the queue and the process
// (requeue, shutdown). Built once by worker.ts; nothing below it reaches back up for more.
import type { RunnerConfig } from '@devpilot/config'
import type { Db } from '@devpilot/db'
import type { SecretBox } from '@devpilot/secrets'
import type { Logger } from './logger.js'
import type { PgTools } from './pg-tools.js'

export interface RunnerContext {
  db: Db
  box: SecretBox
  config: RunnerConfig
  runnerId: string
  tools: PgTools
  log: Logger
  /**
   * Sends a job for the restore, to run after `delaySeconds`. `wake` puts it ahead of the queue's
   * backlog: a restore that waited for its target goes next, not behind everything accepted since.
   */
  requeue(restoreId: string, delaySeconds: number, options?: { wake?: boolean }): Promise<void>
  /** Aborted when the shutdown grace period is over: in-flight restores must stop and fail. */
  shutdownSignal: AbortSignal
}
