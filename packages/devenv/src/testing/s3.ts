// Artifacts in S3 for tests and benchmarks: a client configured the one way that works against
// s3rver on loopback, a fresh bucket per test, and streamed uploads exactly as a backup producer
// would put artifacts there.
import { createReadStream, statSync } from 'node:fs'
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { LOCAL_S3_ACCESS_KEY_ID, LOCAL_S3_REGION, LOCAL_S3_SECRET_ACCESS_KEY } from '../local-s3-keys.js'
import { uniqueName } from './databases.js'
import { testEnv } from './env.js'
import type { Teardown } from './teardown.js'

export interface S3Connection {
  endpoint: string
  region: string
  accessKeyId: string
  secretAccessKey: string
}

/** The test run's S3 server (started by `pnpm test`). */
export function testS3(): S3Connection {
  return {
    endpoint: testEnv().DEVPILOT_TEST_S3_ENDPOINT,
    region: LOCAL_S3_REGION,
    accessKeyId: LOCAL_S3_ACCESS_KEY_ID,
    secretAccessKey: LOCAL_S3_SECRET_ACCESS_KEY,
  }
}

/** s3rver stores a streamed PutObject corrupted unless the SDK's flexible checksums are off. */
export function createS3Client(s3: S3Connection): S3Client {
  return new S3Client({
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
}

export async function putObject(client: S3Client, bucket: string, key: string, body: Buffer | NodeJS.ReadableStream, length?: number): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body as Buffer, ...(length !== undefined ? { ContentLength: length } : {}) }))
}

/** Uploads a local file as one streamed PutObject (never read whole). */
export async function uploadFile(client: S3Client, bucket: string, key: string, file: string): Promise<void> {
  await putObject(client, bucket, key, createReadStream(file, { highWaterMark: 1024 * 1024 }), statSync(file).size)
}

export interface TestBucket extends S3Connection {
  name: string
  client: S3Client
  upload(key: string, file: string): Promise<void>
}

/** A fresh bucket on the test run's S3 server; the client is destroyed at teardown. */
export async function createTestBucket(t: Teardown, prefix = 'bucket'): Promise<TestBucket> {
  const s3 = testS3()
  const client = createS3Client(s3)
  t.teardown(() => client.destroy())
  const name = uniqueName(prefix).replaceAll('_', '-')
  await client.send(new CreateBucketCommand({ Bucket: name }))
  return { ...s3, name, client, upload: (key, file) => uploadFile(client, name, key, file) }
}
