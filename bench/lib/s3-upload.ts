// Puts a local artifact into the s3rver bucket as one streamed PutObject, through the test kit's
// client and upload (never read whole; a multipart upload through lib-storage was 3–4× slower
// against s3rver here). The kit's client sets checksums to 'WHEN_REQUIRED' (see STYLE.md
// pitfalls); the runner verifies the backup's sha256 on every restore anyway.
import type { LocalS3 } from '@devpilot/devenv'
import { createS3Client, uploadFile as upload } from '@devpilot/devenv/testing'

export async function uploadFile(s3: LocalS3, bucket: string, key: string, file: string): Promise<void> {
  const client = createS3Client(s3)
  try {
    await upload(client, bucket, key, file)
  } finally {
    client.destroy()
  }
}
