// GET /metrics: the Prometheus text exposition of this API process (metrics.ts). Left out of the
// OpenAPI document like /openapi.json and /docs: it is for scrapers, not for generated clients.
// It answers only a scraper presenting METRICS_TOKEN as a bearer token; with no METRICS_TOKEN
// configured the route does not exist on the API's public port (404).
import { AppError } from '@devpilot/contracts'
import { bearerMatches } from '@devpilot/secrets'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { ApiMetrics } from '../metrics.js'

export const metricsRoutes: FastifyPluginAsyncZod<{ metrics: ApiMetrics; token: string | undefined }> = async (app, { metrics, token }) => {
  if (token === undefined) return
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (!bearerMatches(request.headers.authorization, token)) {
      throw new AppError('unauthorized', 'Send the scrape token as `Authorization: Bearer <METRICS_TOKEN>`.')
    }
    return reply.type(metrics.contentType).send(await metrics.render())
  })
}
