// How a restore fails: an AppError carrying one of the restore error codes, whose message is what
// the user reads in restores.error_message. Anything else that escapes a run is an internal error.
import { AppError, isAppError, RESTORE_ERROR_CODES, type RestoreErrorCode } from '@devpilot/contracts'

export function restoreError(code: RestoreErrorCode, message: string, cause?: unknown): AppError {
  return new AppError(code, message, cause === undefined ? {} : { cause })
}

export function isRestoreErrorCode(code: string): code is RestoreErrorCode {
  return (RESTORE_ERROR_CODES as readonly string[]).includes(code)
}

/** The code and message to record for whatever a run threw. */
export function toRestoreFailure(error: unknown): { code: RestoreErrorCode; message: string } {
  if (isAppError(error) && isRestoreErrorCode(error.code)) return { code: error.code, message: error.message }
  return { code: 'internal_error', message: 'The runner hit an unexpected error; details are in the runner log under this restore id.' }
}

/** Thrown (as an abort reason) when another runner took the restore over: nothing may be recorded. */
export class OwnershipLostError extends Error {
  constructor(restoreId: string) {
    super(`restore ${restoreId} was taken over by another runner`)
    this.name = 'OwnershipLostError'
  }
}
