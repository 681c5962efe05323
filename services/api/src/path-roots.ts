// Keeps client-supplied filesystem paths inside configured roots. Paths are normalised with
// path.resolve first, so `..` segments cannot climb out; a root itself counts as inside.
import { isAbsolute, resolve, sep } from 'node:path'
import { fieldError } from './field-error.js'

export function isUnderRoots(path: string, roots: readonly string[]): boolean {
  if (!isAbsolute(path)) return false
  const normalised = resolve(path)
  return roots.some((root) => normalised === root || normalised.startsWith(root.endsWith(sep) ? root : `${root}${sep}`))
}

/** The normalised path, or validation_failed naming the field and the configured roots. */
export function requireUnderRoots(field: string, path: string, roots: readonly string[], rootsName: string): string {
  if (!isUnderRoots(path, roots)) {
    const allowed = roots.length > 0 ? roots.join(', ') : 'none configured'
    throw fieldError(field, `not under ${rootsName}`, `${field} must be an absolute path under ${rootsName} (${allowed}).`)
  }
  return resolve(path)
}
