// A local artifact read by the restore tool itself (pg_restore from its stdin, a seekable file, so
// `-j` needs no spool) while the runner hashes the same file through a descriptor of its own. The
// tool's descriptor is opened on the very inode the hash reads (device and inode compared), and the
// file's size, mtime and ctime are compared before and after: a file replaced or written in place
// while the restore ran fails it as checksum_mismatch, so the bytes restored are the bytes verified.

import type { BigIntStats } from 'node:fs'
import { type FileHandle, open } from 'node:fs/promises'
import { restoreError } from '../errors.js'

export interface ToolFile {
  /** A descriptor of its own (own offset) on the artifact, for the tool's stdin. */
  fd: number
  /** Reads the next bytes into `buffer` (from this descriptor's own offset); 0 at the end. */
  read(buffer: Buffer): Promise<number>
  /** Throws checksum_mismatch when the file changed since the artifact was opened. */
  assertUnchanged(): Promise<void>
  close(): Promise<void>
}

export interface ArtifactFile {
  /** A descriptor of its own on the artifact's inode (for the tool's stdin, or to hash it). */
  openForTool(): Promise<ToolFile>
}

function changed(location: string, what: string) {
  return restoreError(
    'checksum_mismatch',
    `The artifact ${location} ${what} while it was being restored, so the restored bytes may not be the verified ones. The target was not changed.`,
  )
}

/** `identity` is the fstat of the descriptor the runner hashes through, taken when it was opened. */
export function artifactFile(path: string, identity: BigIntStats, location: string): ArtifactFile {
  return {
    async openForTool() {
      const handle: FileHandle = await open(path, 'r')
      const opened = await handle.stat({ bigint: true })
      if (opened.dev !== identity.dev || opened.ino !== identity.ino) {
        await handle.close()
        throw changed(location, 'was replaced')
      }
      return {
        fd: handle.fd,
        read: async (buffer) => (await handle.read(buffer, 0, buffer.length, null)).bytesRead,
        async assertUnchanged() {
          const now = await handle.stat({ bigint: true })
          if (now.size !== identity.size || now.mtimeNs !== identity.mtimeNs || now.ctimeNs !== identity.ctimeNs) throw changed(location, 'was modified')
        },
        close: () => handle.close(),
      }
    },
  }
}
