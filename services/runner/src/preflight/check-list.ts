// The preflight checks of one restore as they complete: each is stored on the record at once
// (`checks`, sent on the event stream), and at the end the list decides how the restore fails.
// A failed check may carry the restore error code of its cause when the product had one before
// preflight existed (artifact_missing, target_unreachable, target_not_empty, archive_unsafe, …):
// the restore fails with the first such code, otherwise with preflight_failed; the message names
// every failed check either way.
import type { CheckStatus, PreflightCheck, RestoreErrorCode } from '@devpilot/contracts'
import { isAppError } from '@devpilot/contracts'
import { restoreError, toRestoreFailure } from '../errors.js'

export interface CheckOutcome extends PreflightCheck {
  /** The restore error code a failure of this check fails the restore with (default preflight_failed). */
  code?: RestoreErrorCode
}

export class CheckList {
  private readonly outcomes: CheckOutcome[] = []

  constructor(private readonly record: (checks: PreflightCheck[]) => Promise<void>) {}

  get checks(): PreflightCheck[] {
    return this.outcomes.map(({ name, status, message }) => ({ name, status, message }))
  }

  async add(name: string, status: CheckStatus, message: string, code?: RestoreErrorCode): Promise<void> {
    this.outcomes.push({ name, status, message, ...(code ? { code } : {}) })
    await this.record(this.checks)
  }

  /** Records a check that threw: its restore error (code and message), or an internal error. */
  async addFailure(name: string, error: unknown): Promise<void> {
    if (isAppError(error) && error.code === 'cancelled') throw error
    const failure = toRestoreFailure(error)
    await this.add(name, 'failed', failure.message, failure.code === 'internal_error' ? undefined : failure.code)
  }

  get failed(): CheckOutcome[] {
    return this.outcomes.filter((c) => c.status === 'failed')
  }

  has(name: string, status: CheckStatus): boolean {
    return this.outcomes.some((c) => c.name === name && c.status === status)
  }

  /** Throws the restore's failure when a check failed. */
  throwIfFailed(): void {
    const failed = this.failed
    if (failed.length === 0) return
    const code = failed.find((c) => c.code !== undefined)?.code ?? 'preflight_failed'
    if (failed.length === 1 && failed[0]?.code) throw restoreError(code, failed[0].message)
    const list = failed.map((c) => `${c.name}: ${c.message}`).join(' ')
    throw restoreError(code, `Preflight checks failed, the target was not touched. ${list}`)
  }
}
