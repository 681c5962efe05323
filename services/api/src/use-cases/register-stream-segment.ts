// Registering a change-stream segment (POST /v1/plans/{id}/stream-segments): the producer's
// integration for real-time plans. The segment lives in the plan's destination.
import { AppError, type CreateStreamSegment, lsnToBigInt, toMicros } from '@devpilot/contracts'
import { getPlan, insertStreamSegment } from '@devpilot/db'
import type { AppDeps } from '../deps.js'
import { fieldError } from '../field-error.js'
import { found } from '../not-found.js'

export async function registerStreamSegment(deps: AppDeps, workspaceId: string, planId: string, segment: CreateStreamSegment) {
  const plan = found(await getPlan(deps.database.db, { workspaceId, id: planId }), 'plan')
  if (plan.type !== 'database' || plan.mode !== 'realtime') {
    throw new AppError('plan_not_realtime', `Only real-time database plans have a change stream; this plan is a ${plan.mode} ${plan.type} plan.`)
  }
  if (lsnToBigInt(segment.endLsn) <= lsnToBigInt(segment.startLsn)) throw fieldError('endLsn', 'must be after startLsn')
  if (toMicros(segment.lastCommitAt) < toMicros(segment.firstCommitAt)) throw fieldError('lastCommitAt', 'must not be before firstCommitAt')
  return insertStreamSegment(deps.database.db, { workspaceId, planId: plan.id, destinationId: plan.destinationId, segment })
}
