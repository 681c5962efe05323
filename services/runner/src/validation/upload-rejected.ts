// How a validation ends when the uploaded artifact itself is at fault: a code of
// UPLOAD_VALIDATION_ERROR_CODES and a message naming the reason, recorded on the backup.
import { isAppError, type UploadValidationErrorCode } from '@devpilot/contracts'

export class UploadRejected extends Error {
  constructor(
    readonly code: UploadValidationErrorCode,
    message: string,
  ) {
    super(message)
    this.name = 'UploadRejected'
  }
}

/** Codes that say the artifact is wrong (final); anything else may be a passing fault of storage or runner. */
const VERDICTS: Record<string, UploadValidationErrorCode> = {
  archive_unsafe: 'archive_unsafe',
  checksum_mismatch: 'checksum_mismatch',
  artifact_missing: 'artifact_missing',
  restore_tool_failed: 'artifact_invalid',
}

/** The verdict an error stands for, or null when it is not about the artifact (retry the validation). */
export function verdictOf(error: unknown): UploadRejected | null {
  if (error instanceof UploadRejected) return error
  if (isAppError(error)) {
    const code = VERDICTS[error.code]
    return code ? new UploadRejected(code, error.message) : null
  }
  const code = (error as { code?: unknown } | null)?.code
  // zlib: the gzip stream is corrupt or cut off.
  if (typeof code === 'string' && code.startsWith('Z_')) {
    const reason = error instanceof Error ? error.message : String(error)
    return new UploadRejected('artifact_invalid', `The gzip stream cannot be decompressed (${reason}); the upload is corrupt or truncated.`)
  }
  return null
}
