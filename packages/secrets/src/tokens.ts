// API tokens: 32 random bytes shown once, stored only as their SHA-256. A lookup hashes the
// presented token and compares hashes in the database; a leaked table does not leak tokens.
import { createHash, randomBytes } from 'node:crypto'

export const TOKEN_PREFIX = 'dpr_'

export function generateApiToken(): { token: string; hash: string } {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`
  return { token, hash: hashApiToken(token) }
}

export function hashApiToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}
