// API tokens: 32 random bytes shown once, stored only as their SHA-256. A lookup hashes the
// presented token and compares hashes in the database; a leaked table does not leak tokens.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

export const TOKEN_PREFIX = 'dpr_'

export function generateApiToken(): { token: string; hash: string } {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`
  return { token, hash: hashApiToken(token) }
}

export function hashApiToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/**
 * Whether an `Authorization` header carries exactly `Bearer <expected>`, for static shared tokens
 * (the metrics scrape token). Both sides are hashed first, so the comparison is constant-time
 * whatever the lengths.
 */
export function bearerMatches(authorization: string | undefined, expected: string): boolean {
  const presented = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1]
  if (presented === undefined) return false
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest()
  return timingSafeEqual(digest(presented), digest(expected))
}
