// Bearer-token authentication and role checks for /v1. Runs in onRequest, before body validation,
// so an unauthenticated or under-privileged caller learns nothing about the request's shape.
// Each route declares the least role it needs in `config.minRole` (default viewer).
import { AppError, type Role } from '@devpilot/contracts'
import { type Db, findPrincipalByToken, type Principal } from '@devpilot/db'
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

export function registerAuthentication(app: FastifyInstance, db: Db): void {
  app.decorateRequest('principal', null)
  app.addHook('onRequest', async (request) => {
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1]
    if (token === undefined) throw new AppError('unauthorized', 'Send an API token as `Authorization: Bearer <token>`.')
    const principal = await findPrincipalByToken(db, token)
    if (!principal) throw new AppError('unauthorized', 'The API token is unknown or has been revoked.')
    request.principal = principal
    const required = request.routeOptions.config.minRole ?? 'viewer'
    if (!roleAllows(principal.role, required)) {
      throw new AppError('forbidden', `This needs the ${required} role; your role in this workspace is ${principal.role}.`)
    }
  })
}

/** The authenticated caller; only valid inside /v1 routes (the hook above has run). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('principalOf called outside an authenticated route')
  return request.principal
}

export const bearerSecurity = [{ bearerAuth: [] }]
