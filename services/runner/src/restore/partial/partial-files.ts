// Partial file restores (`include.paths`): the archive is extracted into staging exactly as a whole
// restore does (same TarGuard, same checks of the staged tree), then everything that is not a
// selected path, below one, or a directory leading to one is removed from staging. What remains
// goes through the same overwrite check, carry-over and journalled switch, so the target ends with
// exactly the selected paths restored and everything else as it was. A selected path is only
// reached through real directories of the archive, never through one of its symlinks.
import { lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { PreflightCheck } from '@devpilot/contracts'
import { restoreError } from '../../errors.js'
import { removeTree } from '../file-switch.js'

export interface FileSelection {
  paths: string[]
  recordCheck(check: PreflightCheck): Promise<void>
}

/** Prunes `staging` to the selected paths; returns the selected paths the archive does not have. */
async function prune(staging: string, paths: readonly string[]): Promise<string[]> {
  const selected = new Set(paths)
  const found = new Set<string>()
  const leadsTo = (rel: string) => paths.some((p) => p.startsWith(`${rel}/`))
  async function walk(rel: string): Promise<void> {
    for (const name of await readdir(rel === '' ? staging : join(staging, rel))) {
      const r = rel === '' ? name : `${rel}/${name}`
      if (selected.has(r)) {
        found.add(r)
        continue
      }
      const info = await lstat(join(staging, r))
      if (info.isDirectory() && leadsTo(r)) await walk(r)
      else await removeTree(join(staging, r))
    }
  }
  await walk('')
  return paths.filter((p) => !found.has(p))
}

/** Keeps only the selection in the staged tree; an unknown path fails the restore before the target is touched. */
export async function keepSelectedPaths(staging: string, selection: FileSelection): Promise<void> {
  const missing = await prune(staging, selection.paths)
  if (missing.length > 0) {
    const message = `include: the archive has no ${missing.map((p) => JSON.stringify(p)).join(', ')}.`
    await selection.recordCheck({ name: 'include', status: 'failed', message })
    throw restoreError('preflight_failed', `Preflight failed: ${message} The target was not changed.`)
  }
  await selection.recordCheck({ name: 'include', status: 'passed', message: `${selection.paths.length} selected path(s) found in the archive` })
}
