// The heartbeat of a running restore: every interval it writes bytesDone/bytesTotal and
// heartbeat_at, guarded by ownership (runner id + attempt). A write that matches no row means
// another runner took the restore over; the run is then aborted and records nothing.
import { type Db, type Ownership, recordRestoreProgress } from '@devpilot/db'
import type { Logger } from './logger.js'
import { countRestoredBytes } from './metrics.js'

export class RestoreProgress {
  private done = 0
  bytesTotal: number | null = null
  private timer: NodeJS.Timeout | null = null
  private inFlight: Promise<boolean> | null = null

  constructor(
    private readonly db: Db,
    private readonly ownership: Ownership,
    private readonly intervalMs: number,
    private readonly log: Logger,
    private readonly onLost: () => void,
  ) {}

  /** Bytes read from the artifact so far; growth is counted in devpilot_runner_restored_bytes_total. */
  get bytesDone(): number {
    return this.done
  }
  set bytesDone(n: number) {
    countRestoredBytes(n - this.done)
    this.done = n
  }

  start(): void {
    this.timer = setInterval(() => {
      void this.write()
    }, this.intervalMs)
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  /** Writes now; false (and onLost) when this runner no longer owns the restore. */
  async write(): Promise<boolean> {
    if (this.inFlight) return this.inFlight
    this.inFlight = (async () => {
      try {
        const owned = await recordRestoreProgress(this.db, { ...this.ownership, bytesDone: this.bytesDone, bytesTotal: this.bytesTotal })
        if (!owned) {
          this.log.warn('this runner no longer owns the restore (taken over or finished elsewhere); stopping it')
          this.onLost()
        }
        return owned
      } catch (error) {
        // A missed heartbeat is retried at the next tick; persistent failure ends in a takeover.
        this.log.warn({ err: error }, 'could not write restore progress')
        return true
      } finally {
        this.inFlight = null
      }
    })()
    return this.inFlight
  }

  /** A heartbeat that must reach the database (before committing the restore's result). */
  async confirmOwnership(): Promise<boolean> {
    if (this.inFlight) await this.inFlight
    return recordRestoreProgress(this.db, { ...this.ownership, bytesDone: this.bytesDone, bytesTotal: this.bytesTotal })
  }
}
