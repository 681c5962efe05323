// Preflight of a file restore (DESIGN.md "Preflight checks"): the target path is checked, then the
// whole archive streams once through the same guard as the restore (TarGuard) and its sha256 is
// verified, without extracting anything: the member list tells which paths would be created or
// replaced and how many bytes the extraction needs, against the free space where target and
// staging live (statfs). Nothing is written anywhere. The cost: a file restore reads its artifact
// twice (this pass, then the extraction).
import { statfs } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import type { FileBackupFormat } from '@devpilot/contracts'
import type { Logger } from '../logger.js'
import type { StreamStage } from '../restore/feed-tool.js'
import { hasSwitchJournal, lstatOrNull } from '../restore/file-switch.js'
import { checkTargetPath } from '../restore/files.js'
import { TarGuard, type TarMember } from '../restore/tar-guard.js'
import type { CheckList } from './check-list.js'
import { formatBytes } from './format-bytes.js'

export interface FilePreflightParams {
  restoreId: string
  targetPath: string
  overwrite: boolean
  format: FileBackupFormat
  roots: readonly string[]
  /** The artifact's source stream followed by the verifying counter (sha256). */
  openInput(): Promise<{ stages: StreamStage[]; location: string; size: number | null }>
  checks: CheckList
  signal: AbortSignal
  log: Logger
}

export interface MemberState extends TarMember {
  /** What the target has at the member's path now: null when nothing. */
  existing: 'file' | 'dir' | 'symlink' | 'other' | null
}

export interface FilePreflight {
  /** Every member but the root, with what the target has at its path; null when the archive could not be listed. */
  members: MemberState[] | null
  bytesNeeded: number | null
  /** An earlier attempt committed its switch: the restore only finishes it. */
  alreadySwitched: boolean
}

export async function filePreflight(p: FilePreflightParams): Promise<FilePreflight> {
  const { checks } = p
  let target: string | null = null
  try {
    target = await checkTargetPath(p.targetPath, p.roots)
    if (await hasSwitchJournal(target, p.restoreId)) {
      await checks.add('target_path', 'passed', `An earlier attempt of this restore committed its switch into ${target}; it is finished, not restored again.`)
      return { members: null, bytesNeeded: null, alreadySwitched: true }
    }
    await checks.add('target_path', 'passed', `${target} is inside this workspace's folder under the runner's roots.`)
  } catch (error) {
    await checks.addFailure('target_path', error)
  }

  let input: Awaited<ReturnType<FilePreflightParams['openInput']>> | null = null
  try {
    input = await p.openInput()
    await checks.add('artifact_readable', 'passed', `${input.location} is readable${input.size !== null ? ` (${formatBytes(input.size)})` : ''}.`)
  } catch (error) {
    await checks.addFailure('artifact_readable', error)
  }
  if (!input) return { members: null, bytesNeeded: null, alreadySwitched: false }

  const listed: TarMember[] = []
  try {
    const stages: StreamStage[] = [...input.stages]
    if (p.format === 'tar_gz') stages.push(createGunzip())
    stages.push(new TarGuard({ onMember: (m) => listed.push(m) }))
    await pipeline([...stages, discard()], { signal: p.signal })
    await checks.add('archive_members', 'passed', `All ${listed.length} members are files, directories or symlinks that stay inside the target.`)
  } catch (error) {
    if (p.signal.aborted) throw p.signal.reason
    await checks.addFailure('archive_members', error)
    return { members: null, bytesNeeded: null, alreadySwitched: false }
  }
  const bytesNeeded = listed.reduce((sum, m) => sum + (m.kind === 'file' ? m.size : 0), 0)
  if (!target) return { members: null, bytesNeeded, alreadySwitched: false }

  const members: MemberState[] = []
  for (const m of listed) {
    if (m.path === '') continue
    members.push({ ...m, existing: kindOf(await existingAt(join(target, m.path))) })
  }
  await checkTargetState(p, target, members)
  await checkDiskSpace(p, target, bytesNeeded)
  return { members, bytesNeeded, alreadySwitched: false }
}

/** What is at `path` now; null when nothing (also below a regular file, e.g. an archive directory replacing a file: ENOTDIR). */
async function existingAt(path: string) {
  try {
    return await lstatOrNull(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return null
    throw error
  }
}

function kindOf(info: Awaited<ReturnType<typeof lstatOrNull>>): MemberState['existing'] {
  if (!info) return null
  if (info.isDirectory()) return 'dir'
  if (info.isSymbolicLink()) return 'symlink'
  if (info.isFile()) return 'file'
  return 'other'
}

/** A member replaces what is at its path, except a directory merging into a directory. */
export function replaces(m: MemberState): boolean {
  return m.existing !== null && !(m.kind === 'dir' && m.existing === 'dir')
}

async function checkTargetState(p: FilePreflightParams, target: string, members: MemberState[]): Promise<void> {
  if ((await lstatOrNull(target)) === null) {
    await p.checks.add('target_state', 'passed', `${target} does not exist; the restore creates it.`)
    return
  }
  const replaced = members.filter(replaces)
  if (replaced.length === 0) {
    await p.checks.add('target_state', 'passed', `No member replaces an existing path in ${target}.`)
    return
  }
  if (p.overwrite) {
    await p.checks.add(
      'target_state',
      'passed',
      `${replaced.length} existing path${replaced.length === 1 ? ' is' : 's are'} replaced (overwrite is on); other paths stay.`,
    )
    return
  }
  const names = replaced.slice(0, 5).map((m) => m.path)
  await p.checks.add(
    'target_state',
    'failed',
    `Restoring would replace existing paths in ${target} (${names.join(', ')}${replaced.length > 5 ? `, and ${replaced.length - 5} more` : ''}); restore with overwrite on to replace them. The target was not changed.`,
    'target_not_empty',
  )
}

async function checkDiskSpace(p: FilePreflightParams, target: string, needed: number): Promise<void> {
  // Staging lives next to the target (same filesystem): the nearest existing ancestor tells its free space.
  let dir = target
  while ((await lstatOrNull(dir)) === null && dirname(dir) !== dir) dir = dirname(dir)
  const fs = await statfs(dir)
  const free = fs.bavail * fs.bsize
  if (free < needed) {
    await p.checks.add(
      'disk_space',
      'failed',
      `Extracting needs ${formatBytes(needed)} but only ${formatBytes(free)} are free on the filesystem of ${dir}; free up space there first.`,
    )
    return
  }
  await p.checks.add('disk_space', 'passed', `Extracting needs ${formatBytes(needed)}; ${formatBytes(free)} are free on the filesystem of ${dir}.`)
}

function discard(): Writable {
  return new Writable({
    write(_chunk, _encoding, callback) {
      callback()
    },
  })
}
