// Completes a staged file restore into the whole new target before the switch: every path of the
// existing target that the archive does not replace is brought into the staging tree. Files,
// symlinks and other non-directories as hard links (same inode: no data copied, content, mode,
// owner and mtime kept), directories recreated with their mode (and owner, when the runner is
// root). A directory the archive also has merges, keeping the archive's mode; any other archive
// member at a path replaces what the target has there. Nothing in the target is followed or changed.

import type { Stats } from 'node:fs'
import { chmod, lchown, link, lstat, mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { restoreError } from '../errors.js'
import { lstatOrNull } from './file-switch.js'

export interface CarryOverResult {
  linked: number
  directories: number
}

export async function carryOverUntouched(target: string, staging: string, targetInfo: Stats, signal: AbortSignal): Promise<CarryOverResult> {
  const result: CarryOverResult = { linked: 0, directories: 0 }
  const asRoot = process.getuid?.() === 0

  async function recreateDir(rel: string, old: Stats): Promise<void> {
    const to = join(staging, rel)
    await mkdir(to, { mode: 0o700 })
    await walk(rel)
    if (asRoot) await lchown(to, old.uid, old.gid)
    // Last, so a read-only directory is filled first.
    await chmod(to, old.mode & 0o7777)
    result.directories++
  }

  async function mergeInto(rel: string, staged: Stats): Promise<void> {
    // The archive's directory may be read-only for its owner: writable while old entries are linked in.
    const mode = staged.mode & 0o7777
    if ((mode & 0o700) !== 0o700) await chmod(join(staging, rel), mode | 0o700)
    await walk(rel)
    if ((mode & 0o700) !== 0o700) await chmod(join(staging, rel), mode)
  }

  async function walk(rel: string): Promise<void> {
    for (const name of await readdir(join(target, rel))) {
      signal.throwIfAborted()
      const r = rel === '' ? name : `${rel}/${name}`
      const old = await lstat(join(target, r))
      if (old.dev !== targetInfo.dev) {
        throw restoreError(
          'restore_tool_failed',
          `${join(target, r)} is a mount point inside the target; a file restore replaces the target's whole tree and cannot carry a mounted filesystem over. The target was not changed.`,
        )
      }
      const staged = await lstatOrNull(join(staging, r))
      if (old.isDirectory()) {
        if (!staged) await recreateDir(r, old)
        else if (staged.isDirectory()) await mergeInto(r, staged)
        // else: the archive has a file or symlink at this path, and it replaces the directory.
        continue
      }
      if (staged) continue // the archive replaces this path
      await link(join(target, r), join(staging, r)).catch((error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error)
        throw restoreError(
          'restore_tool_failed',
          `Could not carry ${join(target, r)} over into the restored tree with a hard link (${reason}); the target was not changed.`,
          error,
        )
      })
      result.linked++
    }
  }

  await walk('')
  return result
}
