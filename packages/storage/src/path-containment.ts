// Path containment for everything the services touch on disk (local destinations, file-restore
// targets): a candidate is inside a root when the relative path from the root does not climb out.
// Callers compare resolved real paths (symlinks followed), so a link cannot lead outside.
import { realpath } from 'node:fs/promises'
import { isAbsolute, relative } from 'node:path'

export function isInside(root: string, candidate: string): boolean {
  const rel = relative(root, candidate)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}

/** The real path (symlinks resolved), or null when the path does not exist or cannot be resolved. */
export async function realpathOrNull(path: string): Promise<string | null> {
  try {
    return await realpath(path)
  } catch {
    return null
  }
}
