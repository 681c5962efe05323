// /v1/backups: the backup history (filters planId, status, from, to, q), the backup detail with
// its plan, destination and restore history, and the producer's register/move operations.
import {
  backupDetailSchema,
  backupPageSchema,
  backupSchema,
  createBackupSchema,
  idParamsSchema,
  listBackupsQuerySchema,
  updateBackupSchema,
} from '@devpilot/contracts'
import { getBackup, getDestination, getPlan, listBackups, listRestores } from '@devpilot/db'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { bearerSecurity, principalOf } from '../auth.js'
import type { AppDeps } from '../deps.js'
import { found } from '../not-found.js'
import { problemResponses } from '../problem.js'
import { moveBackup, registerBackup } from '../use-cases/manage-backups.js'

const tags = ['backups']
const DETAIL_RESTORES = 20

export const backupRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, deps) => {
  const { db } = deps.database

  app.post(
    '/v1/backups',
    {
      config: { minRole: 'admin' },
      schema: {
        operationId: 'registerBackup',
        summary: 'Register a backup run (backup producer integration)',
        description: "The backup's destination is the plan's destination at registration time.",
        tags,
        security: bearerSecurity,
        body: createBackupSchema,
        response: { 201: backupSchema, ...problemResponses('unauthorized', 'forbidden', 'validation_failed') },
      },
    },
    async (request, reply) => reply.code(201).send(await registerBackup(deps, principalOf(request).workspaceId, request.body)),
  )

  app.patch(
    '/v1/backups/:id',
    {
      config: { minRole: 'admin' },
      schema: {
        operationId: 'updateBackup',
        summary: 'Move a backup along: status, times, size, sha256, error',
        description:
          'Status moves forward only (pending, in_progress, then completed, failed or cancelled); entering in_progress or a final status stamps the time when none is given.',
        tags,
        security: bearerSecurity,
        params: idParamsSchema,
        body: updateBackupSchema,
        response: { 200: backupSchema, ...problemResponses('unauthorized', 'forbidden', 'not_found', 'validation_failed', 'conflict') },
      },
    },
    async (request) => moveBackup(deps, principalOf(request).workspaceId, request.params.id, request.body),
  )

  app.get(
    '/v1/backups',
    {
      schema: {
        operationId: 'listBackups',
        summary: 'Backup history, newest first',
        tags,
        security: bearerSecurity,
        querystring: listBackupsQuerySchema,
        response: { 200: backupPageSchema, ...problemResponses('unauthorized', 'validation_failed') },
      },
    },
    async (request) => listBackups(db, { workspaceId: principalOf(request).workspaceId, ...request.query }),
  )

  app.get(
    '/v1/backups/:id',
    {
      schema: {
        operationId: 'getBackup',
        summary: 'Backup detail with plan, destination and restore history',
        tags,
        security: bearerSecurity,
        params: idParamsSchema,
        response: { 200: backupDetailSchema, ...problemResponses('unauthorized', 'not_found', 'validation_failed') },
      },
    },
    async (request) => {
      const { workspaceId } = principalOf(request)
      const backup = found(await getBackup(db, { workspaceId, id: request.params.id }), 'backup')
      const [plan, destination, restores] = await Promise.all([
        getPlan(db, { workspaceId, id: backup.planId }),
        getDestination(db, { workspaceId, id: backup.destinationId, includeDeleted: true }),
        listRestores(db, { workspaceId, backupId: backup.id, limit: DETAIL_RESTORES }),
      ])
      return { ...backup, plan: found(plan, 'plan'), destination: found(destination, 'destination'), restores }
    },
  )
}
