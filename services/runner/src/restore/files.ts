// File restores. The archive streams through TarGuard (refuses unsafe members before tar sees
// them) into GNU tar, extracting into a fresh 0700 staging directory next to the target (same
// filesystem). Only after the whole artifact is verified and the staged tree checked again (types,
// links, no setuid/setgid) is the staging tree completed into the whole new target (the old
// target's untouched paths hard-linked in, carry-over.ts) and switched in by renames under a
// durable journal (file-switch.ts). At any instant, a kill included, the target is the old tree or
// the new one; a failed restore leaves it as it was.
import { chmod, lchown, lstat, mkdir, mkdtemp, readdir, readlink, realpath } from 'node:fs/promises'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { createGunzip } from 'node:zlib'
import { type AppError, type FileBackupFormat, isAppError } from '@devpilot/contracts'
import { restoreError } from '../errors.js'
import type { Failpoint } from '../failpoint.js'
import type { Logger } from '../logger.js'
import { isInside, realpathOrNull } from '../path-containment.js'
import { carryOverUntouched } from './carry-over.js'
import { freeBytes, treeBytes } from './disk-space.js'
import { type ArtifactInput, childEnv, feedTool, type StreamStage } from './feed-tool.js'
import {
  clearSwitchJournal,
  commitSwitch,
  finishSwitch,
  hasSwitchJournal,
  lstatOrNull,
  removeTree,
  restoreEntryPrefix,
  stagingPrefix,
  switchPaths,
} from './file-switch.js'
import { type FileSelection, keepSelectedPaths } from './partial/partial-files.js'
import { TarGuard } from './tar-guard.js'

export interface FileRestoreParams {
  restoreId: string
  attempt: number
  targetPath: string
  overwrite: boolean
  format: FileBackupFormat
  roots: readonly string[]
  openInput(): Promise<ArtifactInput>
  /** The archive's size once opened, when known (for the message when staging runs out of room). */
  expectedBytes?(): number | null
  beforeMove(): Promise<void>
  /** Drills: checks the staged tree against the archive's member names before the move. */
  verifyStaged?(staging: string, memberNames: readonly string[]): Promise<void>
  failpoint: Failpoint
  /** A partial restore: only these paths (partial/partial-files.ts); absent for a whole restore. */
  include?: FileSelection | null
  signal: AbortSignal
  log: Logger
}

export interface FileRestoreResult {
  /** True when a previous attempt had committed its switch and this one only finished it. */
  finishedEarlierSwitch: boolean
  /** Removes the switch journal; run once the restore is recorded completed. */
  afterComplete(): Promise<void>
}

/** Resolves the target and proves it lies under one of the runner's roots, symlinks included. */
export async function checkTargetPath(targetPath: string, roots: readonly string[]): Promise<string> {
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

/**
 * Removes what earlier attempts of this restore left next to the target (staging directories, an
 * uncommitted journal, an old tree), unless a committed switch journal is there: then those
 * entries belong to a switch that `finishSwitch` must finish first, and nothing is removed.
 */
export async function cleanupFileLeftovers(targetPath: string, restoreId: string, log: Logger): Promise<void> {
  const target = resolve(targetPath)
  if (await hasSwitchJournal(target, restoreId)) {
    log.warn({ target }, 'a committed switch of this restore is waiting to be finished; leftovers kept')
    return
  }
  const prefix = basename(restoreEntryPrefix(target, restoreId))
  const dir = dirname(target)
  const { aside } = switchPaths(target, restoreId)
  const targetMissing = (await lstatOrNull(target)) === null
  const entries = await readdir(dir).catch(() => [] as string[])
  for (const name of entries) {
    // `<staging>.old` held the replaced originals of the move this switch replaced when its rollback
    // failed: possibly the only copy of the user's files, so it is never removed automatically.
    if (!name.startsWith(prefix) || name.endsWith('.old')) continue
    // Without a journal an old tree aside is only garbage next to its target, never in its place.
    if (join(dir, name) === aside && targetMissing) {
      log.error({ aside }, 'the old tree is aside and the target missing, without a switch journal; kept for manual recovery')
      continue
    }
    log.info({ path: join(dir, name) }, 'removing a leftover of an earlier attempt')
    await removeTree(join(dir, name))
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

/**
 * tar's failure because the staging directory's filesystem (the target's) filled up mid-extraction:
 * insufficient_space naming where, how much was extracted and how much is free; null otherwise.
 */
async function stagingOutOfRoom(error: unknown, staging: string, archiveBytes: number | null): Promise<AppError | null> {
  if (!isAppError(error) || error.code !== 'restore_tool_failed' || !error.message.includes('No space left on device')) return null
  const [staged, free] = await Promise.all([treeBytes(staging), freeBytes(dirname(staging)).catch(() => 0)])
  const archive = archiveBytes === null ? 'the archive' : `the ${archiveBytes}-byte archive`
  return restoreError(
    'insufficient_space',
    `The staging directory ${staging}, beside the target on its filesystem, ran out of room after ${staged} bytes were extracted from ${archive}; ${free} bytes are free in ${dirname(staging)}. Free space there and restore again; the target was not changed.`,
    error,
  )
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

export async function restoreFiles(params: FileRestoreParams): Promise<FileRestoreResult> {
  const { log } = params
  const target = await checkTargetPath(params.targetPath, params.roots)
  const afterComplete = async () => {
    params.failpoint('files.switch', 7)
    await clearSwitchJournal(target, params.restoreId)
    params.failpoint('files.switch', 8)
  }
  await mkdir(dirname(target), { recursive: true })
  // An earlier attempt that died after committing its switch: the restored tree is complete, finish it.
  if (await finishSwitch(target, params.restoreId, log)) return { finishedEarlierSwitch: true, afterComplete }
  await cleanupFileLeftovers(target, params.restoreId, log)
  const staging = await mkdtemp(`${stagingPrefix(target, params.restoreId)}${params.attempt}-`)
  try {
    const memberNames: string[] = []
    const guard = new TarGuard(params.verifyStaged ? { onMember: (m) => (m.path === '' ? undefined : memberNames.push(m.path)) } : {})
    // The archive always streams through TarGuard, so tar never reads a member the guard has not passed.
    const input = await params.openInput()
    const stages: StreamStage[] = [...input.stages]
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
    ).catch(async (error: unknown) => {
      throw (await stagingOutOfRoom(error, staging, params.expectedBytes?.() ?? null)) ?? error
    })
    await checkStagedTree(staging)
    log.info({ members: guard.members, staging }, 'archive extracted and checked')
    if (params.include) await keepSelectedPaths(staging, params.include)
    if (params.verifyStaged) await params.verifyStaged(staging, memberNames)

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
    if (targetInfo) {
      // The target directory itself keeps its mode (and owner); it becomes the staging directory.
      await chmod(staging, 0o700)
      const carried = await carryOverUntouched(target, staging, targetInfo, params.signal)
      log.info(carried, 'untouched paths of the target carried over into the staging tree')
      if (process.getuid?.() === 0) await lchown(staging, targetInfo.uid, targetInfo.gid)
      await chmod(staging, targetInfo.mode & 0o7777)
    } else {
      await chmod(staging, guard.rootMode ?? 0o755)
    }
    await params.beforeMove()
    await commitSwitch({
      target,
      staging,
      restoreId: params.restoreId,
      attempt: params.attempt,
      hadTarget: targetInfo !== null,
      failpoint: params.failpoint,
      log,
    })
    return { finishedEarlierSwitch: false, afterComplete }
  } finally {
    // After the switch staging is the target; a journal left by a switch that could not be undone names it.
    if (!(await hasSwitchJournal(target, params.restoreId))) await removeTree(staging)
  }
}
