// Bearer-token authentication and role checks for /v1. Runs in onRequest, before body validation,
// so an unauthenticated or under-privileged caller learns nothing about the request's shape.
// Each route declares the least role it needs in `config.minRole` (default viewer). An address
// that fails authentication AUTH_FAILURE_LIMIT times in a window gets 429 until the window ends,
// before any database work; a token's lastUsedAt is written at most once a minute.
import { AppError, type Role } from '@devpilot/contracts'
import { type Db, findPrincipalByToken, type Principal, TOKEN_TOUCH_SECONDS, touchApiToken } from '@devpilot/db'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { roleAllows } from './roles.js'

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null
  }
  interface FastifyContextConfig {
    minRole?: Role
  }
}

const BEARER = /^Bearer\s+(\S+)\s*$/i

export interface AuthLimits {
  AUTH_FAILURE_LIMIT: number
  AUTH_FAILURE_WINDOW_SECONDS: number
}

export function registerAuthentication(app: FastifyInstance, db: Db, limits: AuthLimits): void {
  const failures = createFailureCounter(limits.AUTH_FAILURE_LIMIT, limits.AUTH_FAILURE_WINDOW_SECONDS * 1000)
  app.decorateRequest('principal', null)
  app.addHook('onRequest', async (request) => {
    const blockedForMs = failures.blockedFor(request.ip)
    if (blockedForMs > 0) {
      const retryAfterSeconds = Math.ceil(blockedForMs / 1000)
      throw new AppError('too_many_requests', `Too many failed authentications from this address; try again in ${retryAfterSeconds} s.`, {
        details: { retryAfterSeconds },
      })
    }
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1]
    if (token === undefined) {
      failures.record(request.ip)
      throw new AppError('unauthorized', 'Send an API token as `Authorization: Bearer <token>`.')
    }
    const principal = await findPrincipalByToken(db, token)
    if (!principal) {
      failures.record(request.ip)
      throw new AppError('unauthorized', 'The API token is unknown or has been revoked.')
    }
    if (principal.lastUsedAt === null || Date.now() - Date.parse(principal.lastUsedAt) > TOKEN_TOUCH_SECONDS * 1000) {
      await touchApiToken(db, principal.tokenId)
    }
    request.principal = principal
    const required = request.routeOptions.config.minRole ?? 'viewer'
    if (!roleAllows(principal.role, required)) {
      throw new AppError('forbidden', `This needs the ${required} role; your role in this workspace is ${principal.role}.`)
    }
  })
}

/**
 * Failed authentications per client address in fixed windows, in this process's memory: enough
 * to make guessing tokens slow (tokens carry 256 bits), without a database write per failure.
 */
function createFailureCounter(limit: number, windowMs: number) {
  const windows = new Map<string, { count: number; endsAt: number }>()
  const current = (address: string, now: number) => {
    const entry = windows.get(address)
    if (entry && entry.endsAt > now) return entry
    if (entry) windows.delete(address)
    return null
  }
  return {
    blockedFor(address: string): number {
      const now = Date.now()
      const entry = current(address, now)
      return entry && entry.count >= limit ? entry.endsAt - now : 0
    },
    record(address: string): void {
      const now = Date.now()
      const entry = current(address, now)
      if (entry) entry.count++
      else {
        // Bounded memory: past 10,000 addresses, forget the windows that have ended.
        if (windows.size >= 10_000) for (const [key, value] of windows) if (value.endsAt <= now) windows.delete(key)
        windows.set(address, { count: 1, endsAt: now + windowMs })
      }
    },
  }
}

/** The authenticated caller; only valid inside /v1 routes (the hook above has run). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('principalOf called outside an authenticated route')
  return request.principal
}

export const bearerSecurity = [{ bearerAuth: [] }]
