// Shapes every API operation shares: ids, timestamps, pagination, and the RFC 9457 problem body.
// The OpenAPI document names them through `.meta({ id })`, so clients get one type per concept.
import { z } from 'zod'
import { API_ERROR_STATUS } from '../error-codes.js'

export const idSchema = z.uuid()
export const timestampSchema = z.iso.datetime({ offset: true }).describe('ISO-8601 UTC timestamp (microsecond precision where the database has it).')

/** A query-string boolean: exactly `true` or `false`. */
export const booleanQuerySchema = z.enum(['true', 'false']).transform((v) => v === 'true')

export const idParamsSchema = z.object({ id: idSchema })
export type IdParams = z.infer<typeof idParamsSchema>

export const paginationQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20).describe('Page size, 1 to 100.'),
  cursor: z.string().min(1).max(200).optional().describe('Opaque cursor from the previous page `nextCursor`.'),
})
export type PaginationQuery = z.infer<typeof paginationQuerySchema>

/** `{ items, nextCursor }`: one page of a keyset-paginated, newest-first list. */
export function pageSchema<T extends z.ZodType>(item: T, id: string) {
  return z
    .object({
      items: z.array(item),
      nextCursor: z.string().nullable().describe('Pass as `cursor` to get the next page; null on the last page.'),
    })
    .meta({ id })
}
export interface Page<T> {
  items: T[]
  nextCursor: string | null
}

export const apiErrorCodeSchema = z.enum(Object.keys(API_ERROR_STATUS) as [keyof typeof API_ERROR_STATUS, ...(keyof typeof API_ERROR_STATUS)[]])

export const problemSchema = z
  .object({
    type: z.string().describe('URI identifying the problem type.'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().describe('The request path.'),
    code: apiErrorCodeSchema.describe('Stable machine-readable error code.'),
    requestId: z.string().describe('Quote it when reporting a problem; the server logs carry it.'),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }).meta({ id: 'ProblemFieldError' }))
      .optional()
      .describe('Per-field problems (validation_failed).'),
    window: z
      .object({
        earliestRestorableAt: z.string().nullable(),
        latestRestorableAt: z.string().nullable(),
        intervals: z.array(z.object({ from: z.string(), to: z.string() })),
      })
      .optional()
      .meta({ id: 'ProblemRestorableWindow' })
      .describe('target_time_out_of_range: the moments that can be restored.'),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details.' })
export type Problem = z.infer<typeof problemSchema>

/**
 * A database name as PostgreSQL keeps it: at most 63 bytes (longer names are silently truncated,
 * which would make two names the same target), no NUL, and not one of the template databases.
 */
export const databaseNameSchema = z
  .string()
  .min(1)
  .refine((v) => Buffer.byteLength(v, 'utf8') <= 63, 'at most 63 bytes (PostgreSQL truncates longer names)')
  .refine((v) => !v.includes('\u0000'), 'must not contain NUL')
  .refine((v) => v !== 'template0' && v !== 'template1', 'template databases cannot be restore targets')
