// Counts and hashes an upload's bytes as they stream from the client to the destination, and
// stops the stream the moment it grows past UPLOAD_MAX_BYTES (413). Bytes pass through unchanged;
// nothing is buffered beyond the stream's own high-water mark.
import { createHash } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'
import { AppError } from '@devpilot/contracts'

export class UploadMeter extends Transform {
  bytes = 0
  private readonly hash = createHash('sha256')
  private digest: string | null = null

  constructor(private readonly maxBytes: number) {
    super()
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length
    if (this.bytes > this.maxBytes) {
      callback(tooLarge(this.maxBytes))
      return
    }
    this.hash.update(chunk)
    callback(null, chunk)
  }

  override _flush(callback: TransformCallback): void {
    this.digest = this.hash.digest('hex')
    callback()
  }

  /** The sha256 of every byte, once the stream has ended. */
  sha256(): string {
    if (this.digest === null) throw new Error('the upload has not ended yet')
    return this.digest
  }
}

export function tooLarge(maxBytes: number): AppError {
  return new AppError(
    'payload_too_large',
    `The upload is larger than this API accepts (UPLOAD_MAX_BYTES = ${maxBytes} bytes); nothing was kept. An operator can raise UPLOAD_MAX_BYTES.`,
  )
}
