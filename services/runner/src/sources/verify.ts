// Counts and hashes the artifact's bytes as they stream past, reports progress, and at the end of
// the stream compares the sha256 with the backup's. A mismatch errors the stream, so the restore
// driver never commits: the swap/move happens only after this transform has finished cleanly.
import { createHash } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'
import { restoreError } from '../errors.js'

export class VerifyingCounter extends Transform {
  bytes = 0
  private readonly hash = createHash('sha256')
  constructor(
    private readonly expectedSha256: string | null,
    private readonly onBytes: (total: number) => void,
  ) {
    super()
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length
    this.hash.update(chunk)
    this.onBytes(this.bytes)
    callback(null, chunk)
  }

  override _flush(callback: TransformCallback): void {
    const actual = this.hash.digest('hex')
    if (this.expectedSha256 !== null && actual !== this.expectedSha256.toLowerCase()) {
      callback(
        restoreError(
          'checksum_mismatch',
          `The artifact's sha256 is ${actual} but the backup records ${this.expectedSha256} (${this.bytes} bytes read); the artifact is corrupt or was replaced. The target was not changed.`,
        ),
      )
      return
    }
    callback()
  }
}
