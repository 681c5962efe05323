// The bare S3 chain's download half: a plain AWS SDK GetObject whose body is piped to stdout, as
// an operator's one-line script would do (checksums as the runner sets them, see STYLE.md). Run as
// its own process by bare-tools.ts, its stdout an OS pipe into pg_restore or tar.
//   node s3-cat.mjs <endpoint> <region> <bucket> <key>   (credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)
import { pipeline } from 'node:stream/promises'
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3'

const [endpoint, region, bucket, key] = process.argv.slice(2)
const client = new S3Client({
  endpoint,
  region,
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
})
const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
await pipeline(out.Body, process.stdout)
client.destroy()
