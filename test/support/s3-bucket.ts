// The test run's S3 server (s3rver on loopback, started by `pnpm test`): a fresh bucket per test
// file and streamed uploads, exactly as a backup producer would put artifacts there.
import { createReadStream, statSync } from 'node:fs'
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { LOCAL_S3_ACCESS_KEY_ID, LOCAL_S3_REGION, LOCAL_S3_SECRET_ACCESS_KEY } from '@devpilot/devenv'
import { testEnv, uniqueName } from '@devpilot/devenv/testing'

export interface TestBucket {
  name: string
  endpoint: string
  region: string
  accessKeyId: string
  secretAccessKey: string
  upload(key: string, file: string): Promise<void>
}

export async function createTestBucket(t: { teardown(fn: () => unknown): void }): Promise<TestBucket> {
  const endpoint = testEnv().DEVPILOT_TEST_S3_ENDPOINT
  // s3rver stores a streamed PutObject corrupted unless the SDK's flexible checksums are off.
  const client = new S3Client({
    region: LOCAL_S3_REGION,
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: LOCAL_S3_ACCESS_KEY_ID, secretAccessKey: LOCAL_S3_SECRET_ACCESS_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
  t.teardown(() => client.destroy())
  const name = uniqueName('e2e').replaceAll('_', '-')
  await client.send(new CreateBucketCommand({ Bucket: name }))
  return {
    name,
    endpoint,
    region: LOCAL_S3_REGION,
    accessKeyId: LOCAL_S3_ACCESS_KEY_ID,
    secretAccessKey: LOCAL_S3_SECRET_ACCESS_KEY,
    async upload(key, file) {
      await client.send(new PutObjectCommand({ Bucket: name, Key: key, Body: createReadStream(file), ContentLength: statSync(file).size }))
    },
  }
}
