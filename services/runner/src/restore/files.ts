// File restores. The archive streams through TarGuard (refuses unsafe members before tar sees
// them) into GNU tar, extracting into a fresh 0700 staging directory next to the target (same
// filesystem). Only after the whole artifact is verified and the staged tree checked again (types,
// links, no setuid/setgid) are its entries renamed into the target, each replaced path first
// moved aside so that a failure during the move is rolled back. A failed restore leaves the target
// as it was.
import { chmod, lstat, mkdir, mkdtemp, readdir, readlink, realpath, rename, rm } from 'node:fs/promises'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { createGunzip } from 'node:zlib'
import type { FileBackupFormat } from '@devpilot/contracts'
import { restoreError } from '../errors.js'
import type { Logger } from '../logger.js'
import { isInside, realpathOrNull } from '../path-containment.js'
import { childEnv, feedTool, type StreamStage } from './feed-tool.js'
import { restoreShortId } from './short-id.js'
import { TarGuard } from './tar-guard.js'

export interface FileRestoreParams {
  restoreId: string
  attempt: number
  targetPath: string
  overwrite: boolean
  format: FileBackupFormat
  roots: readonly string[]
  openInput(): Promise<StreamStage[]>
  beforeMove(): Promise<void>
  signal: AbortSignal
  log: Logger
}

/** Prefix of the staging directories of a restore, next to its target: `.<name>.restore-<id>-`. */
export function stagingPrefix(targetPath: string, restoreId: string): string {
  return join(dirname(targetPath), `.${basename(targetPath)}.restore-${restoreShortId(restoreId)}-`)
}

async function lstatOrNull(path: string) {
  try {
    return await lstat(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}

/** Resolves the target and proves it lies under one of the runner's roots, symlinks included. */
async function checkTargetPath(targetPath: string, roots: readonly string[]): Promise<string> {
  const target = resolve(targetPath)
  // The deepest existing ancestor, resolved, must be under a resolved root.
  let existing = target
  while (!(await lstatOrNull(existing))) existing = dirname(existing)
  const realExisting = await realpath(existing)
  const realRoots = await Promise.all(roots.map(realpathOrNull))
  const inRoot = realRoots.some((root) => root !== null && isInside(root, join(realExisting, relative(existing, target))))
  if (!inRoot || roots.length === 0) {
    throw restoreError(
      'target_unreachable',
      `The target path ${target} is not in this workspace's folder under the runner's RESTORE_PATH_ROOTS (<root>/<workspace slug>).`,
    )
  }
  const info = await lstatOrNull(target)
  if (info && !info.isDirectory()) {
    throw restoreError('target_not_empty', `The target path ${target} exists and is not a directory. The target was not changed.`)
  }
  return target
}

/** Removes staging directories earlier attempts of this restore left next to the target. */
export async function cleanupFileLeftovers(targetPath: string, restoreId: string, log: Logger): Promise<void> {
  const prefix = stagingPrefix(resolve(targetPath), restoreId)
  const dir = dirname(prefix)
  const entries = await readdir(dir).catch(() => [] as string[])
  for (const name of entries) {
    if (!name.startsWith(basename(prefix)) || name.endsWith('.old')) continue
    log.info({ path: join(dir, name) }, 'removing a leftover staging directory of an earlier attempt')
    await rm(join(dir, name), { recursive: true, force: true })
  }
}

/**
 * Where a symlink points even when its target does not exist (yet): the link text resolved
 * component by component from the link's real directory, following the symlinks it passes through.
 * A lexical normalisation would turn `d/l/../x` into `d/x`, while with `d/l -> ..` it leaves the tree.
 */
async function resolveLink(path: string, depth = 0): Promise<string> {
  if (depth > 32) throw restoreError('archive_unsafe', `The archive's symlinks loop at ${path}; nothing was written to the target.`)
  const target = await readlink(path)
  let current = target.startsWith('/') ? '/' : await realpath(dirname(path))
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') {
      current = dirname(current)
      continue
    }
    const next = join(current, part)
    const info = await lstat(next).catch(() => null)
    current = info?.isSymbolicLink() ? await realpath(next).catch(() => resolveLink(next, depth + 1)) : next
  }
  return current
}

/** Second line of defence after TarGuard: only dirs, files and in-tree symlinks; no setuid/setgid. */
async function checkStagedTree(root: string): Promise<void> {
  const realRoot = await realpath(root)
  async function walk(dir: string): Promise<void> {
    for (const name of await readdir(dir)) {
      const path = join(dir, name)
      const info = await lstat(path)
      if (info.isSymbolicLink()) {
        const real = await realpath(path).catch(() => resolveLink(path))
        if (!isInside(realRoot, real))
          throw restoreError('archive_unsafe', `The archive's symlink ${relative(root, path)} resolves outside the target; nothing was written to the target.`)
        continue
      }
      if (!info.isDirectory() && !info.isFile())
        throw restoreError(
          'archive_unsafe',
          `The archive member ${relative(root, path)} is not a file, directory or symlink; nothing was written to the target.`,
        )
      if (info.mode & 0o6000) await chmod(path, info.mode & 0o1777)
      if (info.isDirectory()) await walk(path)
    }
  }
  await walk(root)
}

/** Paths the archive would replace in the target (a directory merging into a directory replaces nothing). */
async function conflicts(staging: string, target: string, limit: number): Promise<string[]> {
  const found: string[] = []
  async function walk(rel: string): Promise<void> {
    for (const name of await readdir(join(staging, rel))) {
      if (found.length >= limit) return
      const r = rel === '' ? name : `${rel}/${name}`
      const existing = await lstatOrNull(join(target, r))
      if (!existing) continue
      const staged = await lstat(join(staging, r))
      if (staged.isDirectory() && existing.isDirectory()) await walk(r)
      else found.push(r)
    }
  }
  await walk('')
  return found
}

type JournalEntry = { kind: 'added'; path: string } | { kind: 'replaced'; path: string; aside: string } | { kind: 'mode'; path: string; mode: number }

/** Moves the staged entries into the target, moving replaced paths aside; undoes everything on error. */
async function moveIntoTarget(staging: string, target: string, aside: string, log: Logger): Promise<void> {
  const journal: JournalEntry[] = []
  async function moveAside(rel: string) {
    const to = join(aside, rel)
    await mkdir(dirname(to), { recursive: true })
    await rename(join(target, rel), to)
    journal.push({ kind: 'replaced', path: join(target, rel), aside: to })
  }
  async function apply(rel: string): Promise<void> {
    for (const name of await readdir(join(staging, rel))) {
      const r = rel === '' ? name : `${rel}/${name}`
      const staged = await lstat(join(staging, r))
      const existing = await lstatOrNull(join(target, r))
      if (staged.isDirectory() && existing?.isDirectory()) {
        journal.push({ kind: 'mode', path: join(target, r), mode: existing.mode & 0o7777 })
        await chmod(join(target, r), staged.mode & 0o7777)
        await apply(r)
        continue
      }
      // Never follow anything already in the target: a symlink or file in the way is moved aside.
      if (existing) await moveAside(r)
      await rename(join(staging, r), join(target, r))
      journal.push({ kind: 'added', path: join(target, r) })
    }
  }
  try {
    await apply('')
  } catch (error) {
    log.error({ err: error }, 'moving restored files into the target failed; rolling back')
    try {
      for (const entry of journal.reverse()) {
        if (entry.kind === 'added') await rm(entry.path, { recursive: true, force: true })
        else if (entry.kind === 'replaced') await rename(entry.aside, entry.path)
        else await chmod(entry.path, entry.mode)
      }
    } catch (rollbackError) {
      throw new RollbackFailedError(aside, rollbackError)
    }
    const reason = error instanceof Error ? error.message : String(error)
    throw restoreError('restore_tool_failed', `Moving the restored files into ${target} failed (${reason}); the target was rolled back.`, error)
  }
}

class RollbackFailedError extends Error {
  constructor(aside: string, cause: unknown) {
    super(`rolling back a failed file move failed; the replaced originals are kept in ${aside}`, { cause })
    this.name = 'RollbackFailedError'
  }
}

export async function restoreFiles(params: FileRestoreParams): Promise<void> {
  const { log } = params
  const target = await checkTargetPath(params.targetPath, params.roots)
  await mkdir(dirname(target), { recursive: true })
  await cleanupFileLeftovers(target, params.restoreId, log)
  const staging = await mkdtemp(`${stagingPrefix(target, params.restoreId)}${params.attempt}-`)
  const aside = `${staging}.old`
  let keepAside = false
  try {
    const guard = new TarGuard()
    const input = await params.openInput()
    const stages: StreamStage[] = [...input]
    if (params.format === 'tar_gz') stages.push(createGunzip())
    stages.push(guard)
    await feedTool(
      {
        file: 'tar',
        // --no-same-owner: files belong to the runner's user, whatever the archive says (we may be root).
        args: ['-x', '-f', '-', '-C', staging, '--no-same-owner', '--no-overwrite-dir', '--delay-directory-restore'],
        env: childEnv({}),
        secrets: [],
        failureMessage: 'tar failed extracting the archive into the staging directory; the target was not changed',
      },
      stages,
      params.signal,
    )
    await checkStagedTree(staging)
    log.info({ members: guard.members, staging }, 'archive extracted and checked')

    const targetInfo = await lstatOrNull(target)
    if (targetInfo && !params.overwrite) {
      const found = await conflicts(staging, target, 5)
      if (found.length > 0) {
        throw restoreError(
          'target_not_empty',
          `Restoring would replace existing paths in ${target} (${found.join(', ')}); restore with overwrite on to replace them. The target was not changed.`,
        )
      }
    }
    await params.beforeMove()
    if (!targetInfo) {
      await chmod(staging, guard.rootMode ?? 0o755)
      await rename(staging, target)
      return
    }
    try {
      await moveIntoTarget(staging, target, aside, log)
    } catch (error) {
      keepAside = error instanceof RollbackFailedError
      throw error
    }
  } finally {
    await rm(staging, { recursive: true, force: true })
    // After a failed move whose rollback failed too, the replaced originals stay aside for recovery.
    if (keepAside) log.error({ aside }, 'replaced files were kept aside for manual recovery')
    else await rm(aside, { recursive: true, force: true })
  }
}
