// Reusable environment fields. Each one documents itself with .describe(): docs/configuration.md
// and .env.example are generated from these descriptions.
import { isAbsolute, resolve } from 'node:path'
import { z } from 'zod'

export const databaseUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
  .describe('PostgreSQL connection URL for the product database (records and the pg-boss queue).')

export const secretsKey = z
  .string()
  .refine((v) => /^[0-9a-fA-F]{64}$/.test(v) || Buffer.from(v, 'base64').length === 32, 'must be 32 bytes as 64 hex characters or base64')
  .describe('AES-256-GCM key that encrypts server passwords and destination secrets at rest: 32 bytes, hex or base64. Generate with `openssl rand -hex 32`.')

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('pino log level.')

/** Colon-separated absolute directories, normalised; empty means none allowed. */
export const pathRoots = (what: string) =>
  z
    .string()
    .default('')
    .transform((value, ctx) => {
      const roots = value.split(':').filter((p) => p.length > 0)
      for (const root of roots) {
        if (!isAbsolute(root)) ctx.addIssue({ code: 'custom', message: `${root} is not an absolute path` })
      }
      return roots.map((r) => resolve(r))
    })
    .describe(`Colon-separated absolute directories ${what}. Unset means none.`)

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback)
export const seconds = (fallback: number) => z.coerce.number().positive().default(fallback)

export const metricsToken = z
  .string()
  .min(16, 'METRICS_TOKEN must be at least 16 characters')
  .optional()
  .describe(
    'Bearer token a Prometheus scraper must send to GET /metrics. Unset: the API does not serve /metrics at all, and a runner serves it only on its own METRICS_HOST:METRICS_PORT without a token.',
  )

export const previousSecretsKey = z
  .string()
  .refine((v) => /^[0-9a-fA-F]{64}$/.test(v) || Buffer.from(v, 'base64').length === 32, 'must be 32 bytes as 64 hex characters or base64')
  .optional()
  .describe(
    'During a key rotation only: the SECRETS_KEY being replaced. Secrets written under it still decrypt until `pnpm admin rotate-secrets-key` re-encrypted them under SECRETS_KEY; then remove it.',
  )

/** `true` or `false` (an unset or empty value is the default). */
export const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true')

export const webhookAllowPrivateNetworks = flag(false).describe(
  'Let webhooks reach loopback, private (RFC 1918, fc00::/7, CGNAT) and link-local addresses. Off: such URLs are refused when saved and at every delivery. Only for receivers inside your own network, and for tests.',
)
