// Restores: start one from a backup, the per-backup and workspace-wide histories, one restore.
// Server-sent events live in restore-events.ts.
import {
  idempotencyHeadersSchema,
  idParamsSchema,
  listRestoresQuerySchema,
  restoreListFilterSchema,
  restorePageSchema,
  restoreSchema,
  startRestoreSchema,
} from '@devpilot/contracts'
import { getBackup, getRestore, listRestores } from '@devpilot/db'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { bearerSecurity, principalOf } from '../auth.js'
import type { AppDeps } from '../deps.js'
import { found } from '../not-found.js'
import { problemResponses } from '../problem.js'
import { cancelRestore } from '../use-cases/cancel-restore.js'
import { startRestore } from '../use-cases/start-restore.js'
import { replyStarted } from './started-restore.js'

const tags = ['restores']

export const restoreRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, deps) => {
  const { db } = deps.database

  app.post(
    '/v1/backups/:id/restores',
    {
      config: { minRole: 'operator' },
      schema: {
        operationId: 'startRestore',
        summary: 'Start a restore of a completed backup',
        description:
          "Empty target fields default to the plan's source. The pending record and its job are created in one transaction. With an `Idempotency-Key`, repeating the same request answers 200 with the first restore (header `Idempotent-Replayed: true`); the same key with another body is `idempotency_conflict`.",
        tags: ['backups', ...tags],
        security: bearerSecurity,
        params: idParamsSchema,
        headers: idempotencyHeadersSchema,
        body: startRestoreSchema,
        response: {
          200: restoreSchema,
          202: restoreSchema,
          ...problemResponses(
            'unauthorized',
            'forbidden',
            'not_found',
            'validation_failed',
            'backup_not_restorable',
            'idempotency_conflict',
            'target_required',
            'partial_unsupported',
          ),
        },
      },
    },
    async (request, reply) => {
      const result = await startRestore(deps, principalOf(request), {
        backupId: request.params.id,
        body: request.body,
        idempotencyKey: request.headers['idempotency-key'],
      })
      return replyStarted(reply, result)
    },
  )

  app.get(
    '/v1/backups/:id/restores',
    {
      schema: {
        operationId: 'listBackupRestores',
        summary: "A backup's restore history, newest first",
        tags: ['backups', ...tags],
        security: bearerSecurity,
        params: idParamsSchema,
        querystring: restoreListFilterSchema,
        response: { 200: restorePageSchema, ...problemResponses('unauthorized', 'not_found', 'validation_failed') },
      },
    },
    async (request) => {
      const { workspaceId } = principalOf(request)
      const backup = found(await getBackup(db, { workspaceId, id: request.params.id }), 'backup')
      return listRestores(db, { workspaceId, backupId: backup.id, ...request.query })
    },
  )

  app.get(
    '/v1/restores',
    {
      schema: {
        operationId: 'listRestores',
        summary: 'Every restore of the workspace, newest first',
        tags,
        security: bearerSecurity,
        querystring: listRestoresQuerySchema,
        response: { 200: restorePageSchema, ...problemResponses('unauthorized', 'validation_failed') },
      },
    },
    async (request) => listRestores(db, { workspaceId: principalOf(request).workspaceId, ...request.query }),
  )

  app.post(
    '/v1/restores/:id/cancel',
    {
      config: { minRole: 'operator' },
      schema: {
        operationId: 'cancelRestore',
        summary: 'Cancel a restore',
        description:
          'A pending restore fails at once with `cancelled`. A running one gets `cancelRequestedAt`; its runner stops within 5 s, drops its staging copy and fails it with `cancelled`, the target unchanged. Once its swap has begun (`progress.stage` = `swap`) it finishes as it would have and keeps `cancelRequestedAt`. Asking again while it runs answers 202 again. A finished restore is `restore_finished` (409).',
        tags,
        security: bearerSecurity,
        params: idParamsSchema,
        response: {
          202: restoreSchema,
          ...problemResponses('unauthorized', 'forbidden', 'not_found', 'validation_failed', 'restore_finished'),
        },
      },
    },
    async (request, reply) => reply.code(202).send(await cancelRestore(deps, principalOf(request), request.params.id)),
  )

  app.get(
    '/v1/restores/:id',
    {
      schema: {
        operationId: 'getRestore',
        summary: 'Get one restore',
        tags,
        security: bearerSecurity,
        params: idParamsSchema,
        response: { 200: restoreSchema, ...problemResponses('unauthorized', 'not_found', 'validation_failed') },
      },
    },
    async (request) => found(await getRestore(db, { workspaceId: principalOf(request).workspaceId, id: request.params.id }), 'restore'),
  )
}
