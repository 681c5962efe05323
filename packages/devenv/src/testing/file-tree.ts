// Helpers of the file-restore tests: build a tree with the shapes that matter (empty dirs, modes,
// unicode names, in-tree symlinks, a setuid file), and describe a tree completely for comparison.
import { createHash } from 'node:crypto'
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export function buildTree(root: string): void {
  mkdirSync(join(root, 'sub', 'deeper'), { recursive: true })
  mkdirSync(join(root, 'empty-dir'))
  mkdirSync(join(root, '日本語'))
  writeFileSync(join(root, 'readme.txt'), 'hello\n')
  writeFileSync(join(root, 'naïve ✓.txt'), 'unicode name\n')
  writeFileSync(join(root, '日本語', 'ファイル.txt'), 'こんにちは\n')
  writeFileSync(join(root, 'sub', 'data.bin'), Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256)))
  writeFileSync(join(root, 'sub', 'deeper', 'script.sh'), '#!/bin/sh\necho hi\n')
  chmodSync(join(root, 'sub', 'deeper', 'script.sh'), 0o750)
  writeFileSync(join(root, 'private.key'), 'secret-ish\n')
  chmodSync(join(root, 'private.key'), 0o600)
  writeFileSync(join(root, 'setuid-tool'), 'not really a binary\n')
  chmodSync(join(root, 'setuid-tool'), 0o4755)
  symlinkSync('sub/data.bin', join(root, 'link-to-file'))
  symlinkSync('sub', join(root, 'link-to-dir'))
  symlinkSync('../readme.txt', join(root, 'sub', 'up-and-back'))
}

/** Every entry under root: type, mode (permission bits), content hash or link target. */
export function describeTree(root: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name)
      const r = rel === '' ? name : `${rel}/${name}`
      const info = lstatSync(path)
      const mode = (info.mode & 0o7777).toString(8)
      if (info.isSymbolicLink()) out[r] = `symlink -> ${readlinkSync(path)}`
      else if (info.isDirectory()) {
        out[r] = `dir ${mode}`
        walk(path, r)
      } else out[r] = `file ${mode} ${createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16)}`
    }
  }
  walk(root, '')
  return out
}
