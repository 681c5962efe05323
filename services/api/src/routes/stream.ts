// Real-time plans: change-stream segment registration (the producer's integration), the
// restorable window, and starting a point-in-time restore.
import {
  createStreamSegmentSchema,
  idempotencyHeadersSchema,
  idParamsSchema,
  planStreamSchema,
  restoreSchema,
  startPointInTimeRestoreSchema,
  streamSegmentSchema,
} from '@devpilot/contracts'
import { getPlan } from '@devpilot/db'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { bearerSecurity, principalOf } from '../auth.js'
import type { AppDeps } from '../deps.js'
import { found } from '../not-found.js'
import { problemResponses } from '../problem.js'
import { registerStreamSegment } from '../use-cases/register-stream-segment.js'
import { planStreamWindow, startPointInTimeRestore } from '../use-cases/start-point-in-time-restore.js'
import { replyStarted } from './started-restore.js'

const tags = ['point-in-time']

export const streamRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, deps) => {
  app.post(
    '/v1/plans/:id/stream-segments',
    {
      config: { minRole: 'admin' },
      schema: {
        operationId: 'registerStreamSegment',
        summary: "Register a segment of a real-time plan's change stream",
        description:
          "The producer's integration: a segment is wal2json (format version 2) output stored in the plan's destination, covering [startLsn, endLsn). Segments of a plan must not overlap (409 `conflict`).",
        tags,
        security: bearerSecurity,
        params: idParamsSchema,
        body: createStreamSegmentSchema,
        response: {
          201: streamSegmentSchema,
          ...problemResponses('unauthorized', 'forbidden', 'not_found', 'validation_failed', 'plan_not_realtime', 'conflict'),
        },
      },
    },
    async (request, reply) => {
      const { destinationId: _destinationId, ...segment } = await registerStreamSegment(deps, principalOf(request).workspaceId, request.params.id, request.body)
      return reply.code(201).send(segment)
    },
  )

  app.get(
    '/v1/plans/:id/stream',
    {
      schema: {
        operationId: 'getPlanStream',
        summary: "A real-time plan's restorable window",
        description:
          'A moment is restorable when a base snapshot completed at or before it and the segments from that snapshot on are contiguous up to a commit at or after it. `gaps` lists missing LSN ranges between segments.',
        tags,
        security: bearerSecurity,
        params: idParamsSchema,
        response: { 200: planStreamSchema, ...problemResponses('unauthorized', 'not_found', 'validation_failed') },
      },
    },
    async (request) => {
      const { workspaceId } = principalOf(request)
      const plan = found(await getPlan(deps.database.db, { workspaceId, id: request.params.id }), 'plan')
      const { snapshots, segments, window } = await planStreamWindow(deps, workspaceId, plan.id)
      return {
        planId: plan.id,
        earliestRestorableAt: window.earliestRestorableAt,
        latestRestorableAt: window.latestRestorableAt,
        snapshots,
        segmentCount: segments.length,
        gaps: window.gaps,
        intervals: window.intervals,
      }
    },
  )

  app.post(
    '/v1/plans/:id/point-in-time-restores',
    {
      config: { minRole: 'operator' },
      schema: {
        operationId: 'startPointInTimeRestore',
        summary: 'Restore a real-time plan to a moment',
        description:
          'Restores the latest base snapshot covering `targetTime`, then replays every transaction committed after the snapshot and at or before `targetTime` (inclusive, microseconds). Answers 202 with a restore whose `pointInTime` is set. Out of the window: 422 `target_time_out_of_range` with the window in the problem.',
        tags,
        security: bearerSecurity,
        params: idParamsSchema,
        headers: idempotencyHeadersSchema,
        body: startPointInTimeRestoreSchema,
        response: {
          200: restoreSchema,
          202: restoreSchema,
          ...problemResponses(
            'unauthorized',
            'forbidden',
            'not_found',
            'validation_failed',
            'plan_not_realtime',
            'target_time_out_of_range',
            'target_required',
            'idempotency_conflict',
          ),
        },
      },
    },
    async (request, reply) => {
      const result = await startPointInTimeRestore(deps, principalOf(request), {
        planId: request.params.id,
        body: request.body,
        idempotencyKey: request.headers['idempotency-key'],
      })
      return replyStarted(reply, result)
    },
  )
}
