// The switch of a file restore: a complete new tree, staged next to the target on the same
// filesystem, replaces the target by two renames under a durable journal written beside it
// (`.<name>.restore-<id12>.switch`). The journal is the commit point: without it the target was
// never touched (roll back = drop staging); with it the switch is finished by whoever finds it
// (roll forward), and the restore is recorded completed. Every name is derived from the target and
// the restore id, so a later attempt, a take-over or the sweeper finds and finishes them.
import { chmod, lstat, mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { restoreError } from '../errors.js'
import type { Failpoint } from '../failpoint.js'
import type { Logger } from '../logger.js'
import { restoreShortId } from './short-id.js'

/** Everything of one restore beside its target starts with `.<name>.restore-<id12>`. */
export function restoreEntryPrefix(targetPath: string, restoreId: string): string {
  return join(dirname(targetPath), `.${basename(targetPath)}.restore-${restoreShortId(restoreId)}`)
}

/** Prefix of the staging directories of a restore, next to its target: `.<name>.restore-<id12>-`. */
export function stagingPrefix(targetPath: string, restoreId: string): string {
  return `${restoreEntryPrefix(targetPath, restoreId)}-`
}

export function switchPaths(targetPath: string, restoreId: string) {
  const prefix = restoreEntryPrefix(targetPath, restoreId)
  return { journal: `${prefix}.switch`, journalTemp: `${prefix}.switch.tmp`, aside: `${prefix}.aside` }
}

interface Journal {
  restoreId: string
  attempt: number
  /** Basename of the complete staging directory that becomes the target. */
  staging: string
  /** Whether a target existed (and is moved aside) when the switch began. */
  hadTarget: boolean
}

export async function lstatOrNull(path: string) {
  try {
    return await lstat(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}

/** fsync of a directory: makes the renames and creations in it durable, in order. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/**
 * Removes a tree, also when it holds directories without owner write permission (an old target
 * may): on EACCES/EPERM every directory is made rwx for the owner and the removal is retried.
 */
export async function removeTree(path: string): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'EACCES' && code !== 'EPERM') throw error
    await makeDirsWritable(path)
    await rm(path, { recursive: true, force: true })
  }
}

async function makeDirsWritable(dir: string): Promise<void> {
  const info = await lstatOrNull(dir)
  if (!info?.isDirectory()) return
  await chmod(dir, (info.mode & 0o7777) | 0o700)
  for (const name of await readdir(dir)) await makeDirsWritable(join(dir, name))
}

async function writeJournal(paths: ReturnType<typeof switchPaths>, journal: Journal, failpoint: Failpoint): Promise<void> {
  // Written under a temporary name, fsynced, then renamed into place: a journal is whole or absent.
  const handle = await open(paths.journalTemp, 'w', 0o600)
  try {
    await handle.writeFile(`${JSON.stringify(journal)}\n`)
    await handle.sync()
  } finally {
    await handle.close()
  }
  failpoint('files.switch', 2)
  await rename(paths.journalTemp, paths.journal)
  await syncDir(dirname(paths.journal))
  failpoint('files.switch', 3)
}

async function readJournal(targetPath: string, restoreId: string, path: string): Promise<Journal | null> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
  const journal = JSON.parse(text) as Partial<Journal>
  // The journal names a sibling to rename onto the target: only this restore's own staging qualifies.
  const stagingName = basename(stagingPrefix(targetPath, restoreId))
  if (
    journal.restoreId !== restoreId ||
    typeof journal.staging !== 'string' ||
    !journal.staging.startsWith(stagingName) ||
    journal.staging.includes('/') ||
    typeof journal.hadTarget !== 'boolean'
  ) {
    throw new Error(`the switch journal ${path} does not describe a switch of restore ${restoreId}`)
  }
  return { restoreId, attempt: journal.attempt ?? 0, staging: journal.staging, hadTarget: journal.hadTarget }
}

export interface SwitchParams {
  target: string
  staging: string
  restoreId: string
  attempt: number
  hadTarget: boolean
  failpoint: Failpoint
  log: Logger
}

/**
 * Replaces the target with the complete staging tree. Before the journal is in place nothing was
 * touched; after it, the switch is committed. A rename that fails here is undone (the target is
 * put back and the journal removed) so the restore can fail with the target as it was; when that
 * fails, the switch is finished instead, and only when that fails too does the restore fail with
 * the journal kept for manual recovery.
 */
export async function commitSwitch(params: SwitchParams): Promise<void> {
  const { target, staging, restoreId, failpoint, log } = params
  const paths = switchPaths(target, restoreId)
  failpoint('files.switch', 1)
  await writeJournal(paths, { restoreId, attempt: params.attempt, staging: basename(staging), hadTarget: params.hadTarget }, failpoint)
  let asideDone = false
  try {
    if (params.hadTarget) {
      await rename(target, paths.aside)
      asideDone = true
      failpoint('files.switch', 4)
    }
    await rename(staging, target)
  } catch (error) {
    log.error({ err: error }, 'switching the staged tree into the target failed; putting the target back')
    const reason = error instanceof Error ? error.message : String(error)
    try {
      if (asideDone) await rename(paths.aside, target)
      await rm(paths.journal, { force: true })
      await syncDir(dirname(target))
    } catch (undoError) {
      // Committed, and cannot go back: going forward is the other way to a whole target.
      log.error({ err: undoError }, 'putting the target back failed; finishing the switch instead')
      await finishSwitch(target, restoreId, log).catch((forwardError: unknown) => {
        log.error({ err: forwardError }, 'finishing the switch failed too')
        throw restoreError(
          'restore_tool_failed',
          `Switching the restored files into ${target} failed (${reason}), and neither undoing nor finishing the switch worked. The old tree is in ${paths.aside} or still at the target, the restored tree in ${staging} or already at the target; the switch journal ${paths.journal} describes the switch for manual recovery.`,
          error,
        )
      })
      return
    }
    throw restoreError('restore_tool_failed', `Switching the restored files into ${target} failed (${reason}); the target was not changed.`, error)
  }
  failpoint('files.switch', 5)
  await syncDir(dirname(target))
  await removeAside(paths.aside, log)
  failpoint('files.switch', 6)
}

async function removeAside(aside: string, log: Logger): Promise<void> {
  // The switch is done whatever happens here: a failure leaves only garbage that the journal still names.
  await removeTree(aside).catch((error: unknown) =>
    log.error({ err: error, aside }, 'could not remove the replaced tree; it is removed with the journal later'),
  )
}

/**
 * Finishes a switch that a previous attempt of this restore committed (its journal exists) and
 * did not finish: renames what is left to rename, removes the old tree. The journal itself stays
 * until the restore is recorded completed (`clearSwitchJournal`). False when there is no journal:
 * that attempt never committed, and the target was not changed. Idempotent; run it holding the
 * target lock.
 */
export async function finishSwitch(targetPath: string, restoreId: string, log: Logger): Promise<boolean> {
  const paths = switchPaths(targetPath, restoreId)
  const journal = await readJournal(targetPath, restoreId, paths.journal)
  if (!journal) {
    // A journal still under its temporary name was never committed.
    await rm(paths.journalTemp, { force: true })
    return false
  }
  const staging = join(dirname(targetPath), journal.staging)
  if (await lstatOrNull(staging)) {
    if (journal.hadTarget && (await lstatOrNull(targetPath))) {
      if (await lstatOrNull(paths.aside)) throw new Error(`both ${targetPath} and ${paths.aside} exist; the switch journal ${paths.journal} cannot be followed`)
      await rename(targetPath, paths.aside)
    }
    await mkdir(dirname(targetPath), { recursive: true })
    await rename(staging, targetPath)
    await syncDir(dirname(targetPath))
    log.warn({ target: targetPath, journal: paths.journal }, 'finished the switch a previous attempt had committed')
  }
  await removeTree(paths.aside)
  return true
}

/** Removes the journal of a finished switch; called once the restore is recorded completed. */
export async function clearSwitchJournal(targetPath: string, restoreId: string): Promise<void> {
  const paths = switchPaths(targetPath, restoreId)
  // The old tree normally went before the record; a removal that failed then is retried here.
  await removeTree(paths.aside)
  await rm(paths.journal, { force: true })
  await syncDir(dirname(targetPath))
}

/** Whether a committed switch of this restore is waiting to be finished (its journal exists). */
export async function hasSwitchJournal(targetPath: string, restoreId: string): Promise<boolean> {
  return (await lstatOrNull(switchPaths(targetPath, restoreId).journal)) !== null
}
