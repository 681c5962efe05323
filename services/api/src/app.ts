// Builds the Fastify app from already-opened handles (database, pg-boss, logger), without
// listening, so tests and the OpenAPI generator can use it as is. Everything under /v1 is
// authenticated; every error leaves as application/problem+json (problem.ts).
import { randomUUID } from 'node:crypto'
import { type ApiConfig, apiConfigSchema } from '@devpilot/config'
import { type Database, deleteExpiredIdempotencyKeys } from '@devpilot/db'
import { createSecretBox } from '@devpilot/secrets'
import swagger from '@fastify/swagger'
import scalar from '@scalar/fastify-api-reference'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import type { PgBoss } from 'pg-boss'
import { registerAuthentication } from './auth.js'
import type { AppDeps } from './deps.js'
import { createApiMetrics } from './metrics.js'
import { swaggerOptions, tidyDocument } from './openapi.js'
import { registerProblemHandlers } from './problem.js'
import { backupRoutes } from './routes/backups.js'
import { destinationRoutes } from './routes/destinations.js'
import { healthRoutes } from './routes/health.js'
import { meRoutes } from './routes/me.js'
import { metricsRoutes } from './routes/metrics.js'
import { planRoutes } from './routes/plans.js'
import { restoreEventRoutes } from './routes/restore-events.js'
import { restoreRoutes } from './routes/restores.js'
import { serverRoutes } from './routes/servers.js'
import { streamRoutes } from './routes/stream.js'
import { uploadRoutes } from './routes/uploads.js'
import { webhookRoutes } from './routes/webhooks.js'

const DEFAULTS = apiConfigSchema
  .pick({ AUTH_FAILURE_LIMIT: true, AUTH_FAILURE_WINDOW_SECONDS: true, IDEMPOTENCY_KEY_TTL_SECONDS: true, UPLOAD_MAX_BYTES: true })
  .parse({})

export interface BuildAppOptions {
  config: Pick<ApiConfig, 'SECRETS_KEY' | 'RESTORE_PATH_ROOTS' | 'LOCAL_DESTINATION_ROOTS'> &
    Partial<
      Pick<
        ApiConfig,
        | 'AUTH_FAILURE_LIMIT'
        | 'AUTH_FAILURE_WINDOW_SECONDS'
        | 'METRICS_TOKEN'
        | 'SECRETS_KEY_PREVIOUS'
        | 'IDEMPOTENCY_KEY_TTL_SECONDS'
        | 'WEBHOOK_ALLOW_PRIVATE_NETWORKS'
        | 'UPLOAD_MAX_BYTES'
      >
    >
  database: Database
  boss: PgBoss
  log: FastifyBaseLogger
}

export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.log,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { coerceTypes: false } },
  }).withTypeProvider<ZodTypeProvider>()
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  registerProblemHandlers(app)
  const metrics = createApiMetrics(options.database, options.log)
  metrics.instrument(app)
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', String(request.id))
  })

  const deps: AppDeps = {
    config: {
      ...options.config,
      IDEMPOTENCY_KEY_TTL_SECONDS: options.config.IDEMPOTENCY_KEY_TTL_SECONDS ?? DEFAULTS.IDEMPOTENCY_KEY_TTL_SECONDS,
      UPLOAD_MAX_BYTES: options.config.UPLOAD_MAX_BYTES ?? DEFAULTS.UPLOAD_MAX_BYTES,
    },
    database: options.database,
    boss: options.boss,
    box: createSecretBox(options.config.SECRETS_KEY, options.config.SECRETS_KEY_PREVIOUS),
  }

  // Expired Idempotency-Key bindings are released lazily when a key is reused; this hourly sweep
  // keeps the table from growing with keys nobody reuses.
  const keySweep = setInterval(() => {
    deleteExpiredIdempotencyKeys(options.database.db, { ttlSeconds: deps.config.IDEMPOTENCY_KEY_TTL_SECONDS, limit: 10_000 }).catch((error: unknown) =>
      options.log.warn({ err: error }, 'could not delete expired idempotency keys'),
    )
  }, 3_600_000)
  keySweep.unref()
  app.addHook('onClose', async () => clearInterval(keySweep))

  await app.register(swagger, swaggerOptions)
  app.get('/openapi.json', { schema: { hide: true } }, async () => tidyDocument(app.swagger()))
  await app.register(scalar, { routePrefix: '/docs', configuration: { url: '/openapi.json', title: 'Devpilot Restore API' } })

  await app.register(healthRoutes, deps)
  await app.register(metricsRoutes, { metrics, token: options.config.METRICS_TOKEN })
  await app.register(async (v1) => {
    registerAuthentication(v1, deps.database.db, {
      AUTH_FAILURE_LIMIT: options.config.AUTH_FAILURE_LIMIT ?? DEFAULTS.AUTH_FAILURE_LIMIT,
      AUTH_FAILURE_WINDOW_SECONDS: options.config.AUTH_FAILURE_WINDOW_SECONDS ?? DEFAULTS.AUTH_FAILURE_WINDOW_SECONDS,
    })
    await v1.register(meRoutes, deps)
    await v1.register(serverRoutes, deps)
    await v1.register(destinationRoutes, deps)
    await v1.register(planRoutes, deps)
    await v1.register(backupRoutes, deps)
    await v1.register(restoreRoutes, deps)
    await v1.register(restoreEventRoutes, deps)
    await v1.register(streamRoutes, deps)
    await v1.register(webhookRoutes, deps)
    await v1.register(uploadRoutes, deps)
  })
  await app.ready()
  return app
}
