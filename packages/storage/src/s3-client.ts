// The one S3 client setup of both services (the runner reads artifacts, the API writes uploads):
// AWS or any S3-compatible endpoint. Checksum calculation/validation is left to when the protocol
// requires it, since s3rver and several S3 clones mishandle the SDK's default trailers (a streamed
// PutObject was stored corrupted); both services hash the bytes themselves (sha256).
import { S3Client } from '@aws-sdk/client-s3'

export interface S3Location {
  bucket: string
  region: string
  endpoint: string | null
  prefix: string | null
  forcePathStyle: boolean | null
  accessKeyId: string
  secretAccessKey: string
}

export function createS3Client(location: S3Location): S3Client {
  return new S3Client({
    region: location.region,
    ...(location.endpoint ? { endpoint: location.endpoint } : {}),
    forcePathStyle: location.forcePathStyle ?? false,
    credentials: { accessKeyId: location.accessKeyId, secretAccessKey: location.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
  })
}

/** The object key of an artifact: the destination's prefix (if any) joined with the artifact key. */
export function s3ObjectKey(prefix: string | null, artifactKey: string): string {
  const p = (prefix ?? '').replace(/^\/+|\/+$/g, '')
  const k = artifactKey.replace(/^\/+/, '')
  return p === '' ? k : `${p}/${k}`
}
