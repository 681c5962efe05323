// Room on a runner's disks, for the insufficient_space messages of spools and file staging: the
// bytes free to an unprivileged writer on a directory's filesystem, and the bytes a tree holds.
import { lstat, readdir, statfs } from 'node:fs/promises'
import { join } from 'node:path'

export async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir)
  return s.bavail * s.bsize
}

/** Bytes of the regular files under `root` (0 when it is gone). */
export async function treeBytes(root: string): Promise<number> {
  let total = 0
  const walk = async (dir: string): Promise<void> => {
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const info = await lstat(join(dir, name)).catch(() => null)
      if (info?.isDirectory()) await walk(join(dir, name))
      else if (info?.isFile()) total += info.size
    }
  }
  await walk(root)
  return total
}
