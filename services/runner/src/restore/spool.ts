// The spool of a parallel restore: pg_restore -j needs a seekable file, so the verified artifact is
// written to RUNNER_TEMP_DIR first. A spool directory carries the runner's pid in its name, so the
// spools of a runner that was SIGKILLed are recognised and removed by any runner of the same
// machine (at start and on every sweep). Running out of room is `insufficient_space`, named with
// the directory and the bytes needed, checked before the download when the size is known, and
// again when the disk fills up mid-stream (ENOSPC), with the bytes written by then.
import { createWriteStream } from 'node:fs'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { restoreError } from '../errors.js'
import type { Logger } from '../logger.js'
import { freeBytes } from './disk-space.js'
import { destroyStages, type StreamStage } from './feed-tool.js'

const PREFIX = 'devpilot-restore-spool-'

export interface Spool {
  path: string
  remove(): Promise<void>
}

function spoolRoot(tempDir: string | undefined): string {
  return tempDir ?? tmpdir()
}

/** `written` is set when the disk filled up mid-stream (another writer took the room the check saw). */
function insufficient(dir: string, needed: number | null, free: number, written?: number): Error {
  const need = needed === null ? 'more than' : `${needed} bytes;`
  const when = written === undefined ? '' : ` after ${written} bytes were written`
  return restoreError(
    'insufficient_space',
    `The spool directory ${dir} (RUNNER_TEMP_DIR) ran out of room${when}: the artifact needs ${need} ${free} bytes are free there. Free space or point RUNNER_TEMP_DIR at a larger disk; the target was not changed.`,
  )
}

/** Writes the artifact's stream to a spool file; throws insufficient_space when it does not fit. */
export async function spoolArtifact(
  input: StreamStage[],
  options: { tempDir: string | undefined; expectedBytes: number | null; signal: AbortSignal; log: Logger },
): Promise<Spool> {
  const root = spoolRoot(options.tempDir)
  const free = await freeBytes(root)
  if (options.expectedBytes !== null && options.expectedBytes > free) {
    destroyStages(input)
    throw insufficient(root, options.expectedBytes, free)
  }
  const dir = await mkdtemp(join(root, `${PREFIX}${process.pid}-`))
  const path = join(dir, 'artifact.dump')
  const remove = () => rm(dir, { recursive: true, force: true })
  options.log.info({ spool: path, expectedBytes: options.expectedBytes, freeBytes: free }, 'spooling the artifact for parallel pg_restore')
  const file = createWriteStream(path, { mode: 0o600 })
  try {
    await pipeline([...input, file], { signal: options.signal })
  } catch (error) {
    // Free space as it was when the write failed, before the spool's own bytes are given back.
    const free = await freeBytes(root).catch(() => 0)
    await remove()
    if ((error as { code?: unknown }).code === 'ENOSPC') throw insufficient(root, options.expectedBytes, free, file.bytesWritten)
    throw error
  }
  return { path, remove }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as { code?: unknown }).code === 'EPERM'
  }
}

/** Removes spool directories whose runner process is gone; returns how many. */
export async function removeOrphanedSpools(tempDir: string | undefined, log: Logger): Promise<number> {
  const root = spoolRoot(tempDir)
  let removed = 0
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const pid = Number(/^devpilot-restore-spool-(\d+)-/.exec(name)?.[1])
    if (!pid || pid === process.pid || isAlive(pid)) continue
    await rm(join(root, name), { recursive: true, force: true })
    log.warn({ spool: join(root, name), pid }, 'removed the spool of a runner that is gone')
    removed++
  }
  return removed
}
