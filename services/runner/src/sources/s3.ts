// Artifacts in an `s3` destination, streamed with GetObject from AWS or any S3-compatible
// endpoint, through the client setup shared with the API (@devpilot/storage); the runner verifies
// sha256 itself.
import type { Readable } from 'node:stream'
import { GetObjectCommand, S3ServiceException } from '@aws-sdk/client-s3'
import { createS3Client, type S3Location, s3ObjectKey } from '@devpilot/storage'
import { restoreError } from '../errors.js'
import { type Artifact, guardedSource } from './artifact.js'

function isMissing(error: unknown): boolean {
  if (error instanceof S3ServiceException) return error.name === 'NoSuchKey' || error.name === 'NotFound' || error.$metadata.httpStatusCode === 404
  return false
}

export async function openS3Artifact(location: S3Location, artifactKey: string, signal: AbortSignal): Promise<Artifact> {
  const client = createS3Client(location)
  const key = s3ObjectKey(location.prefix, artifactKey)
  const where = `s3://${location.bucket}/${key}`
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: location.bucket, Key: key }), { abortSignal: signal })
    const body = out.Body as Readable | undefined
    if (!body) throw restoreError('artifact_missing', `The object ${where} has no body.`)
    return { stream: guardedSource(body, where, () => client.destroy()), size: out.ContentLength ?? null, location: where, file: null }
  } catch (error) {
    client.destroy()
    if (isMissing(error)) throw restoreError('artifact_missing', `The artifact ${where} does not exist in the bucket (deleted or never uploaded).`, error)
    if (error instanceof S3ServiceException && error.name === 'NoSuchBucket') {
      throw restoreError('destination_unavailable', `The bucket ${location.bucket} does not exist at the destination's endpoint.`, error)
    }
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
    throw restoreError('destination_unavailable', `The S3 destination could not be read (${where}): ${reason}`, error)
  }
}
