// Creating and changing destinations: a local directory must lie under LOCAL_DESTINATION_ROOTS
// (so no token holder can point the runner at arbitrary files), and a PATCH may only touch the
// fields of the destination's own type.
import {
  AppError,
  type CreateDestination,
  type Destination,
  LOCAL_ONLY_DESTINATION_FIELDS,
  S3_ONLY_DESTINATION_FIELDS,
  type UpdateDestination,
  workspaceRoots,
} from '@devpilot/contracts'
import { createDestination, getDestination, updateDestination } from '@devpilot/db'
import type { AppDeps } from '../deps.js'
import { found } from '../not-found.js'
import { requireUnderRoots } from '../path-roots.js'

const ROOTS_NAME = "this workspace's folder under LOCAL_DESTINATION_ROOTS"

export async function createDestinationChecked(
  deps: AppDeps,
  { workspaceId, workspaceSlug }: { workspaceId: string; workspaceSlug: string },
  input: CreateDestination,
): Promise<Destination> {
  const checked =
    input.type === 'local'
      ? { ...input, path: requireUnderRoots('path', input.path, workspaceRoots(deps.config.LOCAL_DESTINATION_ROOTS, workspaceSlug), ROOTS_NAME) }
      : input
  return createDestination(deps.database.db, deps.box, { workspaceId, input: checked })
}

export async function updateDestinationChecked(
  deps: AppDeps,
  { workspaceId, workspaceSlug }: { workspaceId: string; workspaceSlug: string },
  id: string,
  patch: UpdateDestination,
): Promise<Destination> {
  const { db } = deps.database
  const current = found(await getDestination(db, { workspaceId, id }), 'destination')
  const foreign = current.type === 'local' ? S3_ONLY_DESTINATION_FIELDS : LOCAL_ONLY_DESTINATION_FIELDS
  const misplaced = foreign.filter((field) => patch[field] !== undefined)
  if (misplaced.length > 0) {
    throw new AppError('validation_failed', `A ${current.type} destination has no ${misplaced.join(', ')}; its type cannot change.`, {
      status: 422,
      details: { errors: misplaced.map((field) => ({ path: `body.${field}`, message: `not a field of a ${current.type} destination` })) },
    })
  }
  const checked =
    patch.path === undefined
      ? patch
      : { ...patch, path: requireUnderRoots('path', patch.path, workspaceRoots(deps.config.LOCAL_DESTINATION_ROOTS, workspaceSlug), ROOTS_NAME) }
  return found(await updateDestination(db, deps.box, { workspaceId, id, patch: checked }), 'destination')
}
