// Writes an upload into a `local` destination: `<directory>/<key>` where the key is
// `uploads/<uuid>/<filename>`. The bytes go to a temporary file in the same directory, which is
// fsynced and renamed into place only when the stream ended cleanly, then the directory is
// fsynced; on any failure the temporary file and the upload's own folder are removed, so a
// reader never sees a partial artifact under its final name.
import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, open, rename, rm, rmdir, unlink } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { isInside, realpathOrNull } from '@devpilot/storage/path-containment'
import { StorageError, type StoredObject } from './stored-object.js'

export async function writeLocalUpload(params: { directory: string; roots: readonly string[]; key: string; body: Readable }): Promise<StoredObject> {
  const directory = await checkedDirectory(params.directory, params.roots)
  const final = resolve(directory, params.key)
  if (!isInside(directory, final) || final === directory) throw new Error(`upload key ${params.key} leaves its destination`)
  const folder = dirname(final)
  // The upload's own folder (uploads/<uuid>) is new: removing it on failure touches nothing else.
  await mkdir(dirname(folder), { recursive: true })
  await mkdir(folder)
  const temporary = join(folder, `.upload-${randomBytes(6).toString('hex')}.part`)
  try {
    // flush: the file is fsynced before it is closed, so the rename below publishes durable bytes.
    await pipeline(params.body, createWriteStream(temporary, { flags: 'wx', mode: 0o640, flush: true, highWaterMark: 256 * 1024 }))
    await rename(temporary, final)
    await syncDirectory(folder)
  } catch (error) {
    await rm(folder, { recursive: true, force: true })
    throw error
  }
  return {
    location: final,
    remove: async () => {
      await unlink(final).catch(() => {})
      await rmdir(folder).catch(() => {})
    },
  }
}

async function checkedDirectory(path: string, roots: readonly string[]): Promise<string> {
  const directory = resolve(path)
  const real = await realpathOrNull(directory)
  if (real === null) throw new StorageError(`The local destination directory ${directory} does not exist on the API's machine.`)
  const realRoots = (await Promise.all(roots.map(realpathOrNull))).filter((r): r is string => r !== null)
  if (!realRoots.some((root) => isInside(root, real))) {
    throw new StorageError(`The local destination directory ${directory} is not in this workspace's folder under LOCAL_DESTINATION_ROOTS.`)
  }
  return real
}

async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
