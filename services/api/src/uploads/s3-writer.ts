// Writes an upload into an `s3` destination as a multipart upload: the body is cut into parts
// (at least 8 MiB, larger when needed to stay within S3's 10,000 parts), at most PARTS_IN_FLIGHT
// uploading while the next one fills, so memory is a few parts whatever the size. Any failure,
// the client's disconnect included, aborts the multipart upload: S3 then drops every part and no
// object appears under the key. Only CompleteMultipartUpload makes the object visible.
import type { Readable } from 'node:stream'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3'
import { createS3Client, type S3Location, s3ObjectKey } from '@devpilot/storage'
import { StorageError, type StoredObject } from './stored-object.js'

const MIN_PART_BYTES = 8 * 1024 * 1024
const MAX_PARTS = 10_000
const PARTS_IN_FLIGHT = 2

/** The part size that fits `maxBytes` into S3's part limit (whole MiB). */
export function partSizeFor(maxBytes: number): number {
  const needed = Math.ceil(maxBytes / MAX_PARTS / (1024 * 1024)) * 1024 * 1024
  return Math.max(MIN_PART_BYTES, needed)
}

export async function writeS3Upload(params: { location: S3Location; key: string; body: Readable; maxBytes: number }): Promise<StoredObject> {
  const client = createS3Client(params.location)
  const bucket = params.location.bucket
  const key = s3ObjectKey(params.location.prefix, params.key)
  const where = `s3://${bucket}/${key}`
  let uploadId: string | undefined
  try {
    const created = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: 'application/octet-stream' }))
    uploadId = created.UploadId
    if (!uploadId) throw new StorageError(`The S3 destination did not start a multipart upload for ${where}.`)
    const parts = await uploadParts(client, { bucket, key, uploadId, body: params.body, partSize: partSizeFor(params.maxBytes) })
    await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }))
  } catch (error) {
    if (uploadId) {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => {})
    }
    client.destroy()
    throw error
  }
  return {
    location: where,
    remove: async () => {
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))
      } finally {
        client.destroy()
      }
    },
  }
}

/** Reads the body into part buffers and uploads them; the returned list is in part order. */
async function uploadParts(
  client: S3Client,
  p: { bucket: string; key: string; uploadId: string; body: Readable; partSize: number },
): Promise<Array<{ PartNumber: number; ETag: string }>> {
  const done: Array<{ PartNumber: number; ETag: string }> = []
  const inFlight = new Set<Promise<void>>()
  let failure: unknown = null
  let partNumber = 0
  // Part buffers are reused once their part is stored: memory is PARTS_IN_FLIGHT + 1 parts, not
  // however many the garbage collector has not reclaimed yet.
  const pool: Buffer[] = []
  const send = (buffer: Buffer, whole: Buffer) => {
    const number = ++partNumber
    const task = client
      .send(new UploadPartCommand({ Bucket: p.bucket, Key: p.key, UploadId: p.uploadId, PartNumber: number, Body: buffer, ContentLength: buffer.length }))
      .then((out) => {
        if (!out.ETag) throw new StorageError(`The S3 destination returned no ETag for part ${number}.`)
        done.push({ PartNumber: number, ETag: out.ETag })
      })
      .catch((error: unknown) => {
        failure ??= error
      })
      .finally(() => {
        inFlight.delete(task)
        pool.push(whole)
      })
    inFlight.add(task)
  }
  let buffer: Buffer = Buffer.allocUnsafe(p.partSize)
  let filled = 0
  try {
    for await (const chunk of p.body) {
      let data = chunk as Buffer
      while (data.length > 0) {
        const n = Math.min(data.length, p.partSize - filled)
        data.copy(buffer, filled, 0, n)
        filled += n
        data = data.subarray(n)
        if (filled === p.partSize) {
          while (inFlight.size >= PARTS_IN_FLIGHT) await Promise.race(inFlight)
          if (failure) throw failure
          send(buffer, buffer)
          buffer = pool.pop() ?? Buffer.allocUnsafe(p.partSize)
          filled = 0
        }
      }
    }
  } catch (error) {
    // Parts still uploading would outlive an abort sent now; let them settle first.
    await Promise.allSettled([...inFlight])
    throw error
  }
  if (filled > 0 || partNumber === 0) send(buffer.subarray(0, filled), buffer)
  await Promise.allSettled([...inFlight])
  if (failure) throw failure
  return done.sort((a, b) => a.PartNumber - b.PartNumber)
}
