// Uploaded dumps (POST /v1/plans/{id}/uploads): the query naming the artifact's format and file
// name. The body is the raw artifact (application/octet-stream), never parsed by the API.
import { z } from 'zod'
import { backupFormatSchema } from '../enums.js'

const MAX_FILENAME_BYTES = 255

/** One path segment that is safe as a file name and an object key part: no separators, no `.`/`..`, no control characters. */
export const uploadFilenameSchema = z
  .string()
  .min(1)
  .refine((v) => Buffer.byteLength(v, 'utf8') <= MAX_FILENAME_BYTES, `must be at most ${MAX_FILENAME_BYTES} bytes in UTF-8`)
  .refine((v) => v !== '.' && v !== '..', 'must not be . or ..')
  .refine((v) => !/[/\\]/.test(v), 'must be a single path segment (no / or \\)')
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  .refine((v) => !/[\u0000-\u001f\u007f-\u009f]/.test(v), 'must not contain control characters')
  .refine((v) => v.trim() === v, 'must not start or end with white space')
  .describe('The file name the artifact is stored under (`uploads/<uuid>/<filename>`): one path segment, at most 255 bytes.')

export const uploadQuerySchema = z
  .object({
    format: backupFormatSchema.describe("The artifact's backup format; it must fit the plan's type, and the runner checks the body really is one."),
    filename: uploadFilenameSchema,
  })
  .strict()
export type UploadQuery = z.infer<typeof uploadQuerySchema>

/** The reasons an uploaded backup fails its validation (backup `error.code`). */
export const UPLOAD_VALIDATION_ERROR_CODES = [
  // The body is not what `format` says (e.g. a tarball declared pg_custom, a gzip declared pg_plain).
  'format_mismatch',
  // The restore tool cannot read it as that format: truncated, corrupt, or from a newer pg_dump.
  'artifact_invalid',
  // An archive member that could write outside the target, or a plain SQL script with psql meta-commands.
  'archive_unsafe',
  // The stored bytes differ from what the API hashed while receiving them.
  'checksum_mismatch',
  'artifact_missing',
  'destination_unavailable',
  'internal_error',
] as const
export type UploadValidationErrorCode = (typeof UPLOAD_VALIDATION_ERROR_CODES)[number]
