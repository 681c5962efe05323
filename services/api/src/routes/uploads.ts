// /v1/plans/{id}/uploads: an artifact uploaded as the raw request body. This plugin is the only
// place that accepts application/octet-stream, and it hands the body through as the socket's
// stream (no buffering, no bodyLimit: UPLOAD_MAX_BYTES is enforced while streaming). An error
// answered before the body was read whole closes the connection, so the client stops sending.
import { backupSchema, idParamsSchema, uploadQuerySchema } from '@devpilot/contracts'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { bearerSecurity, principalOf } from '../auth.js'
import type { AppDeps } from '../deps.js'
import { problemResponses } from '../problem.js'
import { requestBody } from '../uploads/request-body.js'
import { prepareUpload, receiveUpload } from '../use-cases/upload-backup.js'

const OCTET_STREAM = 'application/octet-stream'

export const uploadRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, deps) => {
  // Only raw bodies here (anything else is 415); the stream is handed through untouched.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(OCTET_STREAM, (_request, payload, done) => done(null, payload))

  // Uploads in progress when the API shuts down are cut off cleanly (nothing kept) rather than
  // left to the process's exit.
  const inFlight = new Set<() => void>()
  app.addHook('preClose', async () => {
    for (const stop of inFlight) stop()
  })

  app.addHook('onError', async (request, reply) => {
    if (!request.raw.complete) reply.header('connection', 'close')
  })

  app.post(
    '/v1/plans/:id/uploads',
    {
      config: { minRole: 'operator' },
      schema: {
        operationId: 'uploadBackup',
        summary: "Upload a dump or archive into the plan's destination",
        description:
          'The raw artifact is the request body (`Content-Type: application/octet-stream`, streamed, up to UPLOAD_MAX_BYTES). It is stored under `uploads/<uuid>/<filename>` in the plan\'s destination while its sha256 and size are computed, and registered as a `pending` backup with `source: "upload"`; a runner then validates it and moves it to `completed` or `failed` (with the reason in `error`). A body cut off halfway registers nothing and leaves no object.',
        tags: ['backups'],
        security: bearerSecurity,
        consumes: [OCTET_STREAM],
        params: idParamsSchema,
        querystring: uploadQuerySchema,
        body: z.unknown().meta({ type: 'string', format: 'binary', description: 'The artifact, byte for byte.' }),
        response: {
          201: backupSchema,
          ...problemResponses(
            'unauthorized',
            'forbidden',
            'not_found',
            'validation_failed',
            'conflict',
            'payload_too_large',
            'unsupported_media_type',
            'service_unavailable',
          ),
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request)
      const length = request.headers['content-length']
      const upload = {
        workspaceId: principal.workspaceId,
        workspaceSlug: principal.workspaceSlug,
        planId: request.params.id,
        query: request.query,
        // No Content-Length and not chunked: HTTP says there is no body at all.
        declaredBytes: length !== undefined ? Number(length) : request.headers['transfer-encoding'] === undefined ? 0 : null,
      }
      const prepared = await prepareUpload(deps, upload)
      const body = requestBody(request.raw)
      const stop = () => body.stream.destroy(new Error('the API is shutting down'))
      inFlight.add(stop)
      try {
        return reply.code(201).send(await receiveUpload(deps, upload, prepared, body, request.log))
      } finally {
        inFlight.delete(stop)
      }
    },
  )
}
