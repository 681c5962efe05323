// /v1/plans: backup plans, the plan detail with its restore summary, and every restore of every
// backup of a plan.
import {
  createPlanSchema,
  idParamsSchema,
  listPlansQuerySchema,
  planDetailSchema,
  planPageSchema,
  planSchema,
  restoreListFilterSchema,
  restorePageSchema,
  restoreSchema,
  startDrillSchema,
  updatePlanSchema,
} from '@devpilot/contracts'
import { getPlan, listPlans, listRestores, planLastDrill, planRestoreSummary } from '@devpilot/db'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { bearerSecurity, principalOf } from '../auth.js'
import type { AppDeps } from '../deps.js'
import { found } from '../not-found.js'
import { problemResponses } from '../problem.js'
import { createPlanChecked, updatePlanChecked } from '../use-cases/create-plan.js'
import { startDrill } from '../use-cases/start-drill.js'

const tags = ['plans']

export const planRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, deps) => {
  const { db } = deps.database

  app.post(
    '/v1/plans',
    {
      config: { minRole: 'admin' },
      schema: {
        operationId: 'createPlan',
        summary: 'Create a backup plan',
        tags,
        security: bearerSecurity,
        body: createPlanSchema,
        response: { 201: planSchema, ...problemResponses('unauthorized', 'forbidden', 'validation_failed') },
      },
    },
    async (request, reply) => reply.code(201).send(await createPlanChecked(deps, principalOf(request), request.body)),
  )

  app.get(
    '/v1/plans',
    {
      schema: {
        operationId: 'listPlans',
        summary: 'List backup plans, newest first',
        tags,
        security: bearerSecurity,
        querystring: listPlansQuerySchema,
        response: { 200: planPageSchema, ...problemResponses('unauthorized', 'validation_failed') },
      },
    },
    async (request) => listPlans(db, { workspaceId: principalOf(request).workspaceId, ...request.query }),
  )

  app.get(
    '/v1/plans/:id',
    {
      schema: {
        operationId: 'getPlan',
        summary: 'Get a plan with its restore summary',
        tags,
        security: bearerSecurity,
        params: idParamsSchema,
        response: { 200: planDetailSchema, ...problemResponses('unauthorized', 'not_found', 'validation_failed') },
      },
    },
    async (request) => {
      const { workspaceId } = principalOf(request)
      const plan = found(await getPlan(db, { workspaceId, id: request.params.id }), 'plan')
      const [restoreSummary, lastDrill] = await Promise.all([
        planRestoreSummary(db, { workspaceId, planId: plan.id }),
        planLastDrill(db, { workspaceId, planId: plan.id }),
      ])
      return { ...plan, restoreSummary, lastDrill }
    },
  )

  app.patch(
    '/v1/plans/:id',
    {
      config: { minRole: 'admin' },
      schema: {
        operationId: 'updatePlan',
        summary: "Change a plan's name, verification checks or drill schedule (null clears)",
        tags,
        security: bearerSecurity,
        params: idParamsSchema,
        body: updatePlanSchema,
        response: { 200: planSchema, ...problemResponses('unauthorized', 'forbidden', 'not_found', 'validation_failed') },
      },
    },
    async (request) => updatePlanChecked(deps, principalOf(request), request.params.id, request.body),
  )

  app.post(
    '/v1/plans/:id/drills',
    {
      config: { minRole: 'operator' },
      schema: {
        operationId: 'startDrill',
        summary: "Start a drill: restore the plan's newest completed backup (or the one named) into a scratch target, verify it, drop it unless keep",
        tags,
        security: bearerSecurity,
        params: idParamsSchema,
        body: startDrillSchema,
        response: {
          202: restoreSchema,
          ...problemResponses('unauthorized', 'forbidden', 'not_found', 'validation_failed', 'backup_not_restorable', 'conflict'),
        },
      },
    },
    async (request, reply) => reply.code(202).send(await startDrill(deps, principalOf(request), request.params.id, request.body)),
  )

  app.get(
    '/v1/plans/:id/restores',
    {
      schema: {
        operationId: 'listPlanRestores',
        summary: "List every restore of the plan's backups, newest first",
        tags,
        security: bearerSecurity,
        params: idParamsSchema,
        querystring: restoreListFilterSchema,
        response: { 200: restorePageSchema, ...problemResponses('unauthorized', 'not_found', 'validation_failed') },
      },
    },
    async (request) => {
      const { workspaceId } = principalOf(request)
      const plan = found(await getPlan(db, { workspaceId, id: request.params.id }), 'plan')
      return listRestores(db, { workspaceId, planId: plan.id, ...request.query })
    },
  )
}
