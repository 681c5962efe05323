// Artifacts in a `local` destination: a directory that must lie under LOCAL_DESTINATION_ROOTS,
// and a key that must stay inside that directory (after resolving symlinks), so a destination or
// key can never make the runner read an arbitrary file.
import { open } from 'node:fs/promises'
import { resolve } from 'node:path'
import { restoreError } from '../errors.js'
import { isInside, realpathOrNull } from '../path-containment.js'
import { type Artifact, guardedSource } from './artifact.js'
import { artifactFile } from './artifact-file.js'

export async function openLocalArtifact(params: { directory: string; artifactKey: string; roots: readonly string[] }): Promise<Artifact> {
  const directory = resolve(params.directory)
  const realDir = await realpathOrNull(directory)
  if (realDir === null) throw restoreError('destination_unavailable', `The local destination directory ${directory} does not exist on this runner.`)
  const realRoots = (await Promise.all(params.roots.map(realpathOrNull))).filter((r): r is string => r !== null)
  if (!realRoots.some((root) => isInside(root, realDir))) {
    throw restoreError(
      'destination_unavailable',
      `The local destination directory ${directory} is not in this workspace's folder under the runner's LOCAL_DESTINATION_ROOTS (<root>/<workspace slug>).`,
    )
  }
  const file = resolve(directory, params.artifactKey)
  if (!isInside(directory, file) || file === directory) {
    throw restoreError('artifact_missing', `The artifact key ${params.artifactKey} points outside its destination directory.`)
  }
  const realFile = await realpathOrNull(file)
  if (realFile === null) throw restoreError('artifact_missing', `The artifact ${params.artifactKey} does not exist in the local destination ${directory}.`)
  if (!isInside(realDir, realFile)) {
    throw restoreError('artifact_missing', `The artifact ${params.artifactKey} resolves outside its destination directory.`)
  }
  // The hash reads through this descriptor; a tool reading the file itself is held to its inode.
  const handle = await open(realFile, 'r')
  const info = await handle.stat({ bigint: true })
  if (!info.isFile()) {
    await handle.close()
    throw restoreError('artifact_missing', `The artifact ${params.artifactKey} in ${directory} is not a regular file.`)
  }
  const location = `${directory}/${params.artifactKey}`
  return {
    stream: guardedSource(handle.createReadStream({ highWaterMark: 256 * 1024 }), location),
    size: Number(info.size),
    location,
    file: artifactFile(realFile, info, location),
  }
}
