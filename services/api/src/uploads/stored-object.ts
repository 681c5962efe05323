// What a destination writer hands back once the artifact is complete in the destination: a way to
// remove it again, for when the backup row cannot be registered after all.
export interface StoredObject {
  /** Where it is, for logs (directory path or s3://bucket/key), never secrets. */
  location: string
  remove(): Promise<void>
}

/** A storage fault (unreachable bucket, full disk): the upload fails with 503 and nothing is kept. */
export class StorageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StorageError'
  }
}
