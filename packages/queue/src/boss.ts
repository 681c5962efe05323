// The pg-boss setup both services share: two queues (`restore`, `backup-validation`), LISTEN/NOTIFY wake-ups so an
// idle runner picks a job up in milliseconds instead of at the next poll, and supervision on so
// a job whose runner died comes back. pg-boss keeps its own `pg` pool (postgres.js cannot run its
// BEGIN...COMMIT scripts); only the enqueue joins our postgres.js transaction, via an adapter.
import {
  BACKUP_VALIDATION_QUEUE,
  type BackupValidationJob,
  backupValidationJobSchema,
  RESTORE_QUEUE,
  type RestoreJob,
  restoreJobSchema,
} from '@devpilot/contracts'
import { PgBoss } from 'pg-boss'
import type postgres from 'postgres'
import { ensureDrillQueue } from './drill-schedule.js'
import { transactionDb } from './transaction-db.js'

export interface BossOptions {
  url: string
  /** Pool size of pg-boss's own pool. */
  max?: number
  /** Seconds between supervision passes (expiry, heartbeat-loss detection). */
  superviseIntervalSeconds?: number
  /** Run pg-boss's cron timekeeper in this process (runners: drill schedules); off by default. */
  schedule?: boolean
  onError(error: Error): void
}

export function createBoss(options: BossOptions): PgBoss {
  const boss = new PgBoss({
    connectionString: options.url,
    max: options.max ?? 4,
    useListenNotify: true,
    supervise: true,
    superviseIntervalSeconds: options.superviseIntervalSeconds ?? 5,
    monitorIntervalSeconds: options.superviseIntervalSeconds ?? 5,
    schedule: options.schedule ?? false,
    application_name: 'devpilot-restore-queue',
  })
  boss.on('error', options.onError)
  return boss
}

/** Queue options for restores. Changing them needs updateQueue (createQueue never updates). */
export const RESTORE_QUEUE_OPTIONS = {
  notify: true,
  // The runner decides itself whether a lost attempt is retried (restores.attempt); pg-boss
  // only has to bring the job back, so it retries generously and quickly.
  retryLimit: 5,
  retryDelay: 1,
  // Long restores are normal; liveness comes from heartbeats, not from a run-time cap.
  expireInSeconds: 60 * 60 * 24,
  heartbeatSeconds: 10,
} as const

/** Creates the restore queue if it does not exist (idempotent; safe from several processes). */
export async function ensureRestoreQueue(boss: PgBoss): Promise<void> {
  await boss.createQueue(RESTORE_QUEUE, RESTORE_QUEUE_OPTIONS)
  // Scheduled drills' queue: plan schedules reference it, so it exists wherever restores can.
  await ensureDrillQueue(boss)
}

/**
 * Queue options for validations of uploaded backups. A validation only reads, so a job whose runner
 * died or stopped simply runs again; the last attempt records its failure on the backup.
 */
export const BACKUP_VALIDATION_QUEUE_OPTIONS = {
  notify: true,
  retryLimit: 5,
  retryDelay: 5,
  retryBackoff: true,
  expireInSeconds: 60 * 60 * 24,
  heartbeatSeconds: 10,
} as const

/** Every queue both services use (idempotent; safe from several processes). */
export async function ensureQueues(boss: PgBoss): Promise<void> {
  await ensureRestoreQueue(boss)
  await boss.createQueue(BACKUP_VALIDATION_QUEUE, BACKUP_VALIDATION_QUEUE_OPTIONS)
}

/**
 * Enqueues the restore's job inside the caller's postgres.js transaction, so the record and its
 * job commit or roll back together. The queue must exist (ensureRestoreQueue) before.
 */
export async function enqueueRestoreJob(boss: PgBoss, tx: postgres.TransactionSql, job: RestoreJob): Promise<string> {
  const payload = restoreJobSchema.parse(job)
  const id = await boss.send(RESTORE_QUEUE, payload, { db: transactionDb(tx) })
  if (id === null) throw new Error(`pg-boss did not enqueue the job for restore ${job.restoreId}`)
  return id
}

/** Enqueues an uploaded backup's validation inside the caller's transaction (the backup row commits with it). */
export async function enqueueBackupValidationJob(boss: PgBoss, tx: postgres.TransactionSql, job: BackupValidationJob): Promise<string> {
  const payload = backupValidationJobSchema.parse(job)
  const id = await boss.send(BACKUP_VALIDATION_QUEUE, payload, { db: transactionDb(tx) })
  if (id === null) throw new Error(`pg-boss did not enqueue the validation job for backup ${job.backupId}`)
  return id
}
