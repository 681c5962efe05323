// Checks that an artifact's first bytes are what its declared format says, before any tool reads
// it: a custom-format dump starts with `PGDMP`, gzip with 1f 8b, a tar archive has `ustar` at
// offset 257 (or is an empty archive of zero blocks), and plain SQL is none of those nor another
// compressed container. A mismatch names what the bytes look like (format_mismatch). Bytes pass
// through unchanged; at most one 512-byte header is held back while deciding.
import { Transform, type TransformCallback } from 'node:stream'
import { UploadRejected } from './upload-rejected.js'

export type Expected = 'pg_custom' | 'gzip' | 'tar' | 'plain'

const HEAD = 512

/** What the first bytes of an artifact look like, in words. */
export function describeHead(head: Buffer): string {
  if (head.length === 0) return 'empty'
  if (head.subarray(0, 5).toString('latin1') === 'PGDMP') return 'a pg_dump custom-format archive'
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip-compressed data'
  if (head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'a tar archive'
  if (head.length === HEAD && head.every((b) => b === 0)) return 'a tar archive'
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd-compressed data'
  if (head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2-compressed data'
  if (head[0] === 0xfd && head.subarray(1, 6).toString('latin1') === '7zXZ\u0000') return 'xz-compressed data'
  if (head.subarray(0, 4).toString('latin1') === 'PK\u0003\u0004') return 'a zip archive'
  if (head.includes(0)) return 'binary data'
  return 'text'
}

const WANTED: Record<Expected, { looks: string; name: string }> = {
  pg_custom: { looks: 'a pg_dump custom-format archive', name: 'a pg_dump custom-format archive (pg_dump -Fc)' },
  gzip: { looks: 'gzip-compressed data', name: 'gzip-compressed data' },
  tar: { looks: 'a tar archive', name: 'a tar archive' },
  plain: { looks: 'text', name: 'a plain SQL script' },
}

export class FormatSniffer extends Transform {
  private head: Buffer[] = []
  private headBytes = 0
  private decided = false

  constructor(
    private readonly expected: Expected,
    /** How the declared format is named in the message, e.g. "pg_custom" or "tar_gz (after gunzip)". */
    private readonly declared: string,
  ) {
    super()
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.decided) {
      callback(null, chunk)
      return
    }
    this.head.push(chunk)
    this.headBytes += chunk.length
    if (this.headBytes < HEAD) {
      callback()
      return
    }
    this.decide(callback)
  }

  override _flush(callback: TransformCallback): void {
    if (this.decided) callback()
    else this.decide(callback)
  }

  private decide(callback: TransformCallback): void {
    this.decided = true
    const all = Buffer.concat(this.head)
    this.head = []
    const looks = describeHead(all.subarray(0, HEAD))
    const wanted = WANTED[this.expected]
    if (looks !== wanted.looks) {
      callback(new UploadRejected('format_mismatch', `The upload was declared ${this.declared}, which is ${wanted.name}, but its content is ${looks}.`))
      return
    }
    callback(null, all)
  }
}

/** Plain SQL never holds a NUL byte (PostgreSQL text cannot): one means a binary file declared as SQL. */
export class NoNulBytes extends Transform {
  private offset = 0
  constructor(private readonly declared: string) {
    super()
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const at = chunk.indexOf(0)
    if (at !== -1) {
      callback(
        new UploadRejected(
          'format_mismatch',
          `The upload was declared ${this.declared} (plain SQL), but it holds a NUL byte at offset ${this.offset + at}: it is binary data, not a SQL script.`,
        ),
      )
      return
    }
    this.offset += chunk.length
    callback(null, chunk)
  }
}
