// The one problem+json mapper (RFC 9457): every error the API answers with — validation, auth,
// not found, conflicts and unexpected failures — leaves through toProblem. Unknown errors become
// a generic 500 carrying the request id; their details go to the log only, never to the client.
import { API_ERROR_STATUS, type ApiErrorCode, isAppError, type Problem, problemSchema } from '@devpilot/contracts'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

/** Seconds a client is told to wait (Retry-After) when a 503 answers a request. */
export const RETRY_AFTER_SECONDS = 5

const TITLES: Record<ApiErrorCode, string> = {
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  not_found: 'Not found',
  validation_failed: 'Validation failed',
  backup_not_restorable: 'Backup not restorable',
  target_required: 'Restore target required',
  idempotency_conflict: 'Idempotency key reused with a different request',
  conflict: 'Conflict',
  destination_in_use: 'Destination in use',
  plan_not_realtime: 'Plan is not real-time',
  target_time_out_of_range: 'Target time out of range',
  restore_finished: 'Restore already finished',
  partial_unsupported: 'Partial restore not supported for this format',
  payload_too_large: 'Payload too large',
  unsupported_media_type: 'Unsupported media type',
  not_ready: 'Not ready',
  too_many_requests: 'Too many requests',
  service_unavailable: 'Service unavailable',
  internal_error: 'Internal error',
}

interface ProblemInput {
  code: ApiErrorCode
  status?: number
  detail: string
  errors?: Array<{ path: string; message: string }>
  window?: Problem['window']
}

export function buildProblem(request: FastifyRequest, input: ProblemInput): Problem {
  const status = input.status ?? API_ERROR_STATUS[input.code]
  return {
    type: `https://devpilot.dev/problems/${input.code.replaceAll('_', '-')}`,
    title: TITLES[input.code],
    status,
    detail: input.detail,
    instance: request.url.split('?')[0] ?? request.url,
    code: input.code,
    requestId: String(request.id),
    ...(input.errors && input.errors.length > 0 ? { errors: input.errors } : {}),
    ...(input.window ? { window: input.window } : {}),
  }
}

function isApiErrorCode(code: string): code is ApiErrorCode {
  return code in API_ERROR_STATUS
}

function restorableWindow(value: unknown): Problem['window'] {
  const parsed = problemSchema.shape.window.safeParse(value)
  return parsed.success ? parsed.data : undefined
}

function fieldErrors(value: unknown): Array<{ path: string; message: string }> | undefined {
  const parsed = problemSchema.shape.errors.safeParse(value)
  return parsed.success ? parsed.data : undefined
}

/** Maps anything thrown in a request to a problem; `expose` false means "log it as a server fault". */
export function toProblem(error: unknown, request: FastifyRequest): { problem: Problem; serverFault: boolean } {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const context = (error as { validationContext?: string }).validationContext ?? 'request'
    const errors = error.validation.map((v) => ({
      path: [context, ...v.instancePath.split('/').filter((p) => p.length > 0)].join('.'),
      message: v.message ?? 'invalid',
    }))
    return {
      problem: buildProblem(request, { code: 'validation_failed', detail: 'The request does not match the schema; see `errors`.', errors }),
      serverFault: false,
    }
  }
  if (isAppError(error) && isApiErrorCode(error.code)) {
    return {
      problem: buildProblem(request, {
        code: error.code,
        status: error.status,
        detail: error.message,
        errors: fieldErrors(error.details?.errors),
        window: restorableWindow(error.details?.window),
      }),
      serverFault: error.status >= 500,
    }
  }
  if (isDatabaseUnreachable(error)) {
    return {
      problem: buildProblem(request, {
        code: 'service_unavailable',
        detail: `The product database is unreachable, so nothing was read or written. Retry in ${RETRY_AFTER_SECONDS} s; an Idempotency-Key makes the retry safe.`,
      }),
      serverFault: false,
    }
  }
  const fastifyError = error as Partial<FastifyError>
  const statusCode = typeof fastifyError.statusCode === 'number' ? fastifyError.statusCode : 500
  if (statusCode === 413) return { problem: buildProblem(request, { code: 'payload_too_large', detail: 'The request body is too large.' }), serverFault: false }
  if (statusCode === 415) {
    const detail = /\/uploads(\?|$)/.test(request.url)
      ? 'Send the artifact as the raw body with Content-Type: application/octet-stream.'
      : 'Send JSON with Content-Type: application/json.'
    return { problem: buildProblem(request, { code: 'unsupported_media_type', detail }), serverFault: false }
  }
  if (statusCode >= 400 && statusCode < 500 && typeof fastifyError.code === 'string' && fastifyError.code.startsWith('FST_')) {
    // Fastify's own client errors (malformed JSON, empty JSON body...): their messages hold no secrets.
    return { problem: buildProblem(request, { code: 'validation_failed', detail: fastifyError.message ?? 'Bad request.' }), serverFault: false }
  }
  return {
    problem: buildProblem(request, {
      code: 'internal_error',
      detail: `Something went wrong on our side. Quote request id ${String(request.id)} when reporting it.`,
    }),
    serverFault: true,
  }
}

// postgres.js's own connection errors, socket errors, and PostgreSQL's connection-exception class
// (08), shutdown and start-up codes (57P01-57P03): the database is away, not the request wrong.
const UNREACHABLE_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01',
  '57P02',
  '57P03',
])

/** True when the error (or one it wraps, e.g. drizzle's query error) says the database is unreachable. */
export function isDatabaseUnreachable(error: unknown): boolean {
  for (let e = error, depth = 0; e !== null && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code !== 'string') continue
    if (UNREACHABLE_CODES.has(code) || code.startsWith('08')) return true
    // A database refusing new connections (ALLOW_CONNECTIONS false, being dropped or restored).
    if (code === '55000' && /not currently accepting connections/.test(String((e as { message?: unknown }).message))) return true
  }
  return false
}

export function sendProblem(reply: FastifyReply, problem: Problem, retryAfterSeconds?: number): FastifyReply {
  if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds))
  else if (problem.status === 503) reply.header('retry-after', String(RETRY_AFTER_SECONDS))
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem)
}

export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const { problem, serverFault } = toProblem(error, request)
    if (serverFault) request.log.error({ err: error, code: problem.code }, 'request failed')
    else request.log.info({ code: problem.code, status: problem.status }, 'request refused')
    const retryAfter = isAppError(error) ? error.details?.retryAfterSeconds : undefined
    return sendProblem(reply, problem, typeof retryAfter === 'number' ? retryAfter : undefined)
  })
  app.setNotFoundHandler((request, reply) => {
    return sendProblem(reply, buildProblem(request, { code: 'not_found', detail: `No route ${request.method} ${request.url.split('?')[0] ?? ''}.` }))
  })
}

/** OpenAPI response entries for the problems an operation can answer with, grouped by status. */
export function problemResponses(...codes: ApiErrorCode[]) {
  const byStatus = new Map<number, ApiErrorCode[]>()
  // Every authenticated route can also refuse a client that failed authentication too often.
  const implied = codes.includes('unauthorized') ? (['too_many_requests'] as const) : []
  for (const code of [...codes, ...implied, 'service_unavailable' as const, 'internal_error' as const]) {
    const status = API_ERROR_STATUS[code]
    byStatus.set(status, [...(byStatus.get(status) ?? []), code])
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      status,
      { description: `Problem: ${list.map((c) => `\`${c}\``).join(', ')}`, content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } } },
    ]),
  )
}
