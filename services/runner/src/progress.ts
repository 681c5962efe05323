// The heartbeat of a running restore: every interval it writes bytesDone/bytesTotal, the stage,
// an ETA and heartbeat_at, guarded by ownership (runner id + attempt). A write that matches no row
// means another runner took the restore over; the run is then aborted and records nothing. The
// same write reads back whether a cancel was requested (POST /v1/restores/{id}/cancel), so the
// runner holding the restore notices within one interval (≤ 2 s), whichever runner it is.
import type { RestoreStage } from '@devpilot/contracts'
import { type Db, enterSwapStage, type Ownership, recordRestoreHeartbeat, type SwapEntry } from '@devpilot/db'
import type { Logger } from './logger.js'
import { countRestoredBytes } from './metrics.js'

/** Rate samples older than this are dropped: the ETA follows the recent rate, not the average since start. */
const RATE_WINDOW_MS = 30_000

export class RestoreProgress {
  private done = 0
  bytesTotal: number | null = null
  private currentStage: RestoreStage = 'preflight'
  private samples: Array<{ atMs: number; bytes: number }> = []
  private timer: NodeJS.Timeout | null = null
  private inFlight: Promise<boolean> | null = null
  private cancelSeen = false

  constructor(
    private readonly db: Db,
    private readonly ownership: Ownership,
    private readonly intervalMs: number,
    private readonly log: Logger,
    private readonly onLost: () => void,
    /** Called once when a cancel request is first seen, before the swap began. */
    private readonly onCancel: () => void = () => {},
  ) {}

  /** Bytes read from the artifact so far; growth is counted in devpilot_runner_restored_bytes_total. */
  get bytesDone(): number {
    return this.done
  }
  set bytesDone(n: number) {
    countRestoredBytes(n - this.done)
    this.done = n
  }

  get stage(): RestoreStage {
    return this.currentStage
  }

  /** Enters a stage and writes it at once (the event stream shows it without waiting for the next tick). */
  setStage(stage: RestoreStage): Promise<boolean> {
    if (stage !== this.currentStage) this.samples = []
    this.currentStage = stage
    return this.write()
  }

  /** Seconds left at the recent rate; null before two samples, without a total, or outside the byte-moving stages. */
  etaSeconds(nowMs = performance.now()): number | null {
    this.samples.push({ atMs: nowMs, bytes: this.done })
    while (this.samples.length > 2 && nowMs - (this.samples[0]?.atMs ?? nowMs) > RATE_WINDOW_MS) this.samples.shift()
    if (this.currentStage !== 'restore' || this.bytesTotal === null) return null
    const first = this.samples[0]
    if (!first || this.samples.length < 2) return null
    const seconds = (nowMs - first.atMs) / 1000
    const rate = (this.done - first.bytes) / seconds
    if (!(rate > 0)) return null
    return Math.max(0, Math.round(Math.max(0, this.bytesTotal - this.done) / rate))
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
        const result = await this.heartbeat()
        if (!result) {
          this.log.warn('this runner no longer owns the restore (taken over or finished elsewhere); stopping it')
          this.onLost()
          return false
        }
        if (result.cancelRequested && this.currentStage !== 'swap' && !this.cancelSeen) {
          this.cancelSeen = true
          this.log.info({ stage: this.currentStage }, 'cancel requested; stopping the restore before its swap')
          this.onCancel()
        }
        return true
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

  private heartbeat() {
    return recordRestoreHeartbeat(this.db, {
      ...this.ownership,
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal,
      stage: this.currentStage,
      etaSeconds: this.etaSeconds(),
    })
  }

  /** A heartbeat that must reach the database (before committing the restore's result). */
  async confirmOwnership(): Promise<boolean> {
    if (this.inFlight) await this.inFlight
    return (await this.heartbeat()) !== null
  }

  /** The step into the swap (stage `swap`), refused when a cancel came first: see enterSwapStage. */
  async enterSwap(): Promise<SwapEntry> {
    if (this.inFlight) await this.inFlight
    const entry = await enterSwapStage(this.db, this.ownership)
    if (entry === 'swap') this.currentStage = 'swap'
    return entry
  }
}
