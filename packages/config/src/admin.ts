import { z } from 'zod'
import { databaseUrl, previousSecretsKey, secretsKey } from './fields.js'

/** The admin CLI only needs the product database. */
export const adminConfigSchema = z.object({ DATABASE_URL: databaseUrl })
export type AdminConfig = z.output<typeof adminConfigSchema>

/** `pnpm admin rotate-secrets-key`: the new key (SECRETS_KEY) and the one it replaces. */
export const rotateSecretsConfigSchema = z.object({
  DATABASE_URL: databaseUrl,
  SECRETS_KEY: secretsKey,
  SECRETS_KEY_PREVIOUS: previousSecretsKey,
})
