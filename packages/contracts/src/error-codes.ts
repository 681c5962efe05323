// Every machine-readable error code the product emits, with the HTTP status the API answers it
// with. Restore failure codes are also stored in restores.error_code by the runner. Clients switch
// on these strings: adding one is fine, renaming one breaks them.
export const API_ERROR_STATUS = {
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  validation_failed: 400,
  backup_not_restorable: 409,
  target_required: 422,
  idempotency_conflict: 409,
  conflict: 409,
  destination_in_use: 409,
  plan_not_realtime: 409,
  target_time_out_of_range: 422,
  // Cancel of a restore that already ended.
  restore_finished: 409,
  // A partial restore of a dump without a table of contents (plain SQL).
  partial_unsupported: 422,
  payload_too_large: 413,
  unsupported_media_type: 415,
  // Too many failed authentications from one address; Retry-After says when to try again.
  too_many_requests: 429,
  not_ready: 503,
  // The product database is unreachable (a restart, a failover): nothing was written; retry.
  service_unavailable: 503,
  internal_error: 500,
} as const
export type ApiErrorCode = keyof typeof API_ERROR_STATUS

export const RESTORE_ERROR_CODES = [
  'target_not_empty',
  'destination_unavailable',
  'artifact_missing',
  'checksum_mismatch',
  'restore_tool_failed',
  'target_unreachable',
  'runner_lost',
  'runner_shutdown',
  // A file archive with a member that could write outside the target (.., absolute, link escape, device).
  'archive_unsafe',
  'stream_gap',
  'segment_corrupt',
  // A spool or staging area ran out of room: the message names where and how many bytes were needed.
  'insufficient_space',
  // A point-in-time replay met a change the restored schema cannot take (DDL after the snapshot).
  'stream_schema_mismatch',
  // A preflight check failed (the message names each failed check); the target was not touched.
  'preflight_failed',
  // A verification check or row count failed after the restore into staging; the target was not touched.
  'verification_failed',
  // Cancelled on request before the swap began; the target was not touched.
  'cancelled',
  // A partial restore would replace tables that objects outside the selection depend on.
  'dependent_objects',
  'internal_error',
] as const
export type RestoreErrorCode = (typeof RESTORE_ERROR_CODES)[number]

export type ErrorCode = ApiErrorCode | RestoreErrorCode

/** The one error type both services throw for expected failures: a code, a status, a message a person can act on. */
export class AppError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly details: Record<string, unknown> | undefined

  constructor(code: ErrorCode, message: string, options: { status?: number; details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'AppError'
    this.code = code
    this.status = options.status ?? (code in API_ERROR_STATUS ? API_ERROR_STATUS[code as ApiErrorCode] : 500)
    this.details = options.details
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError
}
