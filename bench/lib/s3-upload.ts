// Puts a local artifact into the s3rver bucket as one streamed PutObject (never read whole; a
// multipart upload through lib-storage was 3–4× slower against s3rver here). Checksums are
// 'WHEN_REQUIRED': with the SDK's defaults s3rver silently stores a streamed body corrupted (see
// STYLE.md pitfalls); the runner verifies the backup's sha256 on every restore anyway.
import { createReadStream } from 'node:fs'
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import type { LocalS3 } from '@devpilot/devenv'
import { fileSize } from '@devpilot/devenv/testing'

export async function uploadFile(s3: LocalS3, bucket: string, key: string, file: string): Promise<void> {
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
  try {
    const body = createReadStream(file, { highWaterMark: 1024 * 1024 })
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: fileSize(file) }))
  } finally {
    client.destroy()
  }
}
