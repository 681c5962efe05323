// What a source hands to a restore driver: a readable stream of the artifact's bytes and its size
// when the destination knows it. Read errors of the underlying stream surface as
// destination_unavailable, so a dropped storage connection fails the restore with a clear code.
// A local artifact also offers its file to the tool itself (artifact-file.ts).
import { Readable } from 'node:stream'
import { isAppError } from '@devpilot/contracts'
import { restoreError } from '../errors.js'
import type { ArtifactFile } from './artifact-file.js'

export interface Artifact {
  stream: Readable
  size: number | null
  /** Human description for logs and messages (bucket/key or file path), never secrets. */
  location: string
  /** A local file a tool may read directly while `stream` is only hashed; null for remote artifacts. */
  file: ArtifactFile | null
}

/** Wraps a raw stream so any read error after opening becomes destination_unavailable. */
export function guardedSource(raw: Readable, location: string, onClose?: () => void): Readable {
  let bytes = 0
  async function* read() {
    try {
      for await (const chunk of raw) {
        const buf = chunk as Buffer
        bytes += buf.length
        yield buf
      }
    } catch (error) {
      if (isAppError(error)) throw error
      const reason = error instanceof Error ? error.message : String(error)
      throw restoreError('destination_unavailable', `Reading the artifact ${location} failed after ${bytes} bytes: ${reason}`, error)
    } finally {
      raw.destroy()
      onClose?.()
    }
  }
  return Readable.from(read(), { objectMode: false })
}
