// GET /metrics: the Prometheus text exposition of this API process (metrics.ts). Left out of the
// OpenAPI document like /openapi.json and /docs: it is for scrapers, not for generated clients,
// and it carries no workspace data (counts only), so it needs no token.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { ApiMetrics } from '../metrics.js'

export const metricsRoutes: FastifyPluginAsyncZod<{ metrics: ApiMetrics }> = async (app, { metrics }) => {
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => reply.type(metrics.contentType).send(await metrics.render()))
}
