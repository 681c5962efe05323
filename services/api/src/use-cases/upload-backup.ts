// An uploaded dump (POST /v1/plans/{id}/uploads): every check that needs no body first (plan,
// format, destination, declared length), then the body streamed into the plan's destination under
// `uploads/<uuid>/<filename>` while it is counted and hashed, then ONE transaction registers the
// pending backup (source `upload`) and enqueues its validation. Whatever fails — the client going
// away, the size limit, the storage, the registration — nothing is kept: the object is removed
// (or never became visible) and no row exists.
import { randomUUID } from 'node:crypto'
import { AppError, type Backup, planTypeOfFormat, type UploadQuery, workspaceRoots } from '@devpilot/contracts'
import { decryptDestinationSecret, getBackup, getPlan, insertUploadedBackup, loadRunDestination, type RunDestination } from '@devpilot/db'
import { enqueueBackupValidationJob } from '@devpilot/queue'
import type { S3Location } from '@devpilot/storage'
import type { FastifyBaseLogger } from 'fastify'
import type { AppDeps } from '../deps.js'
import { found } from '../not-found.js'
import { writeLocalUpload } from '../uploads/local-writer.js'
import { ClientGoneError, type RequestBody } from '../uploads/request-body.js'
import { StorageError, type StoredObject } from '../uploads/stored-object.js'
import { tooLarge, UploadMeter } from '../uploads/upload-meter.js'

export interface UploadRequest {
  workspaceId: string
  workspaceSlug: string
  planId: string
  query: UploadQuery
  /** The Content-Length the client declared, if any. */
  declaredBytes: number | null
}

/** The checks that need no body: the plan, the format, the destination, the declared size. */
export async function prepareUpload(deps: AppDeps, request: UploadRequest): Promise<{ destination: RunDestination }> {
  const { db } = deps.database
  const plan = found(await getPlan(db, { workspaceId: request.workspaceId, id: request.planId }), 'plan')
  if (planTypeOfFormat(request.query.format) !== plan.type) {
    const message = `${request.query.format} is not a format of a ${plan.type} plan`
    throw new AppError('validation_failed', `format: ${message}.`, { status: 422, details: { errors: [{ path: 'querystring.format', message }] } })
  }
  const destination = await loadRunDestination(db, { workspaceId: request.workspaceId, destinationId: plan.destinationId })
  if (!destination || destination.deleted) throw new AppError('conflict', "The plan's destination was deleted; point the plan at a live destination first.")
  if (!destination.enabled) throw new AppError('conflict', "The plan's destination is disabled; enable it before uploading into it.")
  if (request.declaredBytes !== null && request.declaredBytes > deps.config.UPLOAD_MAX_BYTES) throw tooLarge(deps.config.UPLOAD_MAX_BYTES)
  if (request.declaredBytes === 0) throw emptyBody()
  return { destination }
}

export async function receiveUpload(
  deps: AppDeps,
  request: UploadRequest,
  prepared: { destination: RunDestination },
  body: RequestBody,
  log: FastifyBaseLogger,
): Promise<Backup> {
  const maxBytes = deps.config.UPLOAD_MAX_BYTES
  const artifactKey = `uploads/${randomUUID()}/${request.query.filename}`
  const meter = new UploadMeter(maxBytes)
  const metered = body.stream.pipe(meter)
  body.stream.on('error', (error) => meter.destroy(error))
  let stored: StoredObject
  try {
    stored = await store(deps, request, prepared.destination, artifactKey, metered, maxBytes)
  } catch (error) {
    body.detach()
    throw uploadFailure(error, body)
  }
  if (meter.bytes === 0) {
    await stored.remove()
    throw emptyBody()
  }
  const sha256 = meter.sha256()
  let backupId: string
  try {
    backupId = await deps.database.sql.begin(async (tx) => {
      const id = await insertUploadedBackup(tx, {
        workspaceId: request.workspaceId,
        planId: request.planId,
        destinationId: prepared.destination.id,
        format: request.query.format,
        artifactKey,
        sizeBytes: meter.bytes,
        sha256,
      })
      await enqueueBackupValidationJob(deps.boss, tx, { backupId: id })
      return id
    })
  } catch (error) {
    // No row: the object must not stay either.
    await stored.remove().catch((removeError: unknown) => log.error({ err: removeError, location: stored.location }, 'removing an unregistered upload failed'))
    throw error
  }
  log.info({ backupId, bytes: meter.bytes, location: stored.location }, 'upload stored and registered')
  return found(await getBackup(deps.database.db, { workspaceId: request.workspaceId, id: backupId }), 'backup')
}

async function store(deps: AppDeps, request: UploadRequest, d: RunDestination, key: string, body: UploadMeter, maxBytes: number): Promise<StoredObject> {
  if (d.type === 'local') {
    if (!d.path) throw new StorageError('The local destination has no path.')
    return writeLocalUpload({ directory: d.path, roots: workspaceRoots(deps.config.LOCAL_DESTINATION_ROOTS, request.workspaceSlug), key, body })
  }
  if (!d.bucket || !d.region || !d.accessKeyId || !d.secretAccessKeyCiphertext) throw new StorageError('The S3 destination is incomplete.')
  const location: S3Location = {
    bucket: d.bucket,
    region: d.region,
    endpoint: d.endpoint,
    prefix: d.prefix,
    forcePathStyle: d.forcePathStyle,
    accessKeyId: d.accessKeyId,
    secretAccessKey: decryptDestinationSecret(deps.box, d.id, d.secretAccessKeyCiphertext),
  }
  // The AWS SDK is loaded on the first S3 upload, not at start-up (it is most of a cold start).
  const { writeS3Upload } = await import('../uploads/s3-writer.js')
  // With a declared length the parts can be sized for it rather than for the limit.
  return writeS3Upload({ location, key, body, maxBytes: request.declaredBytes ?? maxBytes })
}

/** What the client is told when storing failed; the writer has already removed what it wrote. */
function uploadFailure(error: unknown, body: RequestBody): unknown {
  if (error instanceof AppError) return error
  if (body.clientGone() || error instanceof ClientGoneError) {
    return new AppError('validation_failed', 'The client disconnected before the body was complete; nothing was kept.', { cause: error })
  }
  const reason = error instanceof Error ? error.message : String(error)
  return new AppError('service_unavailable', `The upload could not be written to the plan's destination (${reason}); nothing was kept. Retry later.`, {
    cause: error,
  })
}

function emptyBody(): AppError {
  return new AppError('validation_failed', 'The request body is empty; send the artifact as the body (curl --data-binary @file).')
}
