// Authenticated encryption of secrets at rest (server passwords, destination secret keys):
// AES-256-GCM with a random 96-bit nonce per value. Stored form: `v1.<nonce>.<tag>.<ciphertext>`
// (base64url parts). During a key rotation the box also decrypts with the previous key (always
// encrypting with the current one) until `pnpm admin rotate-secrets-key` re-encrypted every value. The row's id is bound as
// additional data where callers pass it, so a ciphertext copied into another row does not decrypt.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

export interface SecretBox {
  encrypt(plaintext: string, associatedData?: string): string
  decrypt(stored: string, associatedData?: string): string
}

export class SecretDecryptError extends Error {
  constructor() {
    super('A stored secret could not be decrypted: SECRETS_KEY differs from the key it was written with, or the value was altered.')
    this.name = 'SecretDecryptError'
  }
}

export function parseSecretsKey(key: string): Buffer {
  const bytes = /^[0-9a-fA-F]{64}$/.test(key) ? Buffer.from(key, 'hex') : Buffer.from(key, 'base64')
  if (bytes.length !== 32) throw new Error('SECRETS_KEY must be 32 bytes (64 hex characters or base64)')
  return bytes
}

export function createSecretBox(key: string, previousKey?: string): SecretBox {
  const keyBytes = parseSecretsKey(key)
  const keys = previousKey === undefined ? [keyBytes] : [keyBytes, parseSecretsKey(previousKey)]
  return {
    encrypt(plaintext, associatedData) {
      const nonce = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', keyBytes, nonce)
      if (associatedData !== undefined) cipher.setAAD(Buffer.from(associatedData, 'utf8'))
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
      return ['v1', nonce.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.')
    },
    decrypt(stored, associatedData) {
      const [version, nonce, tag, ciphertext] = stored.split('.')
      if (version !== 'v1' || nonce === undefined || tag === undefined || ciphertext === undefined) throw new SecretDecryptError()
      for (const candidate of keys) {
        try {
          const decipher = createDecipheriv('aes-256-gcm', candidate, Buffer.from(nonce, 'base64url'))
          if (associatedData !== undefined) decipher.setAAD(Buffer.from(associatedData, 'utf8'))
          decipher.setAuthTag(Buffer.from(tag, 'base64url'))
          return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8')
        } catch {
          // GCM authentication failed: not this key (or an altered value); try the next one.
        }
      }
      throw new SecretDecryptError()
    },
  }
}

export function generateSecretsKey(): string {
  return randomBytes(32).toString('hex')
}
