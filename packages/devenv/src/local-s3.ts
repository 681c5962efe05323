// Runs a real S3-protocol server (s3rver) on loopback, storing objects under a project folder.
// Used by `pnpm start`, the tests and the benchmarks for `s3` destinations. s3rver checks request
// signatures against a fixed key pair (local-s3-keys.ts), so callers configure their destinations with it.
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import S3rver from 's3rver'
import { freePort, isPortFree } from './free-port.js'
import { LOCAL_S3_ACCESS_KEY_ID, LOCAL_S3_REGION, LOCAL_S3_SECRET_ACCESS_KEY } from './local-s3-keys.js'

export interface LocalS3 {
  endpoint: string
  port: number
  accessKeyId: string
  secretAccessKey: string
  region: string
  stop(): Promise<void>
}

export async function startLocalS3(options: { directory: string; preferredPort?: number; buckets?: string[] }): Promise<LocalS3> {
  const directory = resolve(options.directory)
  mkdirSync(directory, { recursive: true })
  const port = options.preferredPort && (await isPortFree(options.preferredPort)) ? options.preferredPort : await freePort()
  const server = new S3rver({
    address: '127.0.0.1',
    port,
    directory,
    silent: true,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name, configs: [] })),
  })
  await server.run()
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    accessKeyId: LOCAL_S3_ACCESS_KEY_ID,
    secretAccessKey: LOCAL_S3_SECRET_ACCESS_KEY,
    region: LOCAL_S3_REGION,
    stop: () => server.close(),
  }
}
