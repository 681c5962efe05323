// Runs a restore tool (pg_restore, psql, tar) with a chain of streams piped into its stdin, and
// decides how the pair ended. A source/integrity error (checksum, storage, unsafe archive) wins
// over the tool's own failure, since it explains it; a tool that stops reading early does not stop
// the chain, so the sha256 of the whole artifact is still verified before anything is committed.
// A local artifact can instead be read by the tool itself from its stdin (`toolReadsFile`) while
// the same chain only hashes it: no byte is copied through the runner into a pipe.
import { once } from 'node:events'
import type { Duplex } from 'node:stream'
import { Writable } from 'node:stream'
import { finished, pipeline } from 'node:stream/promises'
import { isAppError } from '@devpilot/contracts'
import { execa } from 'execa'
import { restoreError } from '../errors.js'
import { stderrTail, TailBuffer } from '../scrub.js'
import type { ArtifactFile, ToolFile } from '../sources/artifact-file.js'

export interface ToolRun {
  file: string
  args: string[]
  env: Record<string, string>
  cwd?: string
  /** Passwords and keys to scrub from the tool's output. */
  secrets: readonly string[]
  /** What the user reads when the tool fails, before the stderr tail. */
  failureMessage: string
}

/** A minimal environment for a child: no runner secrets (DATABASE_URL, SECRETS_KEY) are inherited. */
export function childEnv(extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', ...extra }
}

/** Writes into the child's stdin; once the child closes it, further bytes are read and dropped. */
class ToolStdin extends Writable {
  private stdinClosed = false
  constructor(private readonly stdin: Writable) {
    super({ highWaterMark: 256 * 1024 })
    stdin.on('error', () => {
      this.stdinClosed = true
    })
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.stdinClosed || this.stdin.destroyed) {
      callback()
      return
    }
    this.stdin.write(chunk, () => callback())
  }
  override _final(callback: (error?: Error | null) => void): void {
    if (this.stdinClosed || this.stdin.destroyed) {
      callback()
      return
    }
    this.stdin.end()
    Promise.race([once(this.stdin, 'finish'), once(this.stdin, 'close')]).then(
      () => callback(),
      () => callback(),
    )
  }
}

/** The tool's stdin: a pipe the runner feeds, nothing, or a file descriptor the tool reads itself. */
type ToolStdinKind = 'pipe' | 'ignore' | number

function spawn(run: ToolRun, signal: AbortSignal, stdin: ToolStdinKind) {
  const stderr = new TailBuffer()
  const child = execa(run.file, run.args, {
    env: run.env,
    extendEnv: false,
    ...(run.cwd ? { cwd: run.cwd } : {}),
    // An integer is handed to child_process as is (the child's fd 0 is a dup of our descriptor);
    // execa's types name only 0 among the integers, hence the cast.
    stdin: stdin as Exclude<ToolStdinKind, number>,
    stdout: 'ignore',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    cancelSignal: signal,
    forceKillAfterDelay: 5000,
  })
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk))
  return { child, stderr }
}

function toolFailure(run: ToolRun, exitCode: number | undefined, stderr: string) {
  const tail = stderrTail(stderr, run.secrets)
  return restoreError('restore_tool_failed', `${run.failureMessage} (exit ${exitCode ?? 'signal'}).${tail ? `\n${tail}` : ''}`)
}

export type StreamStage = NodeJS.ReadableStream | NodeJS.ReadWriteStream

/** What a driver's openInput hands it: the source stream and the verifying counter, and a local artifact's file. */
export interface ArtifactInput {
  stages: StreamStage[]
  file: ArtifactFile | null
}

/** Pipes `streams` into the tool's stdin and resolves when both succeeded; throws the deciding error otherwise. */
export async function feedTool(run: ToolRun, streams: StreamStage[], signal: AbortSignal): Promise<void> {
  signal.throwIfAborted()
  const { child, stderr } = spawn(run, signal, 'pipe')
  if (!child.stdin) throw new Error('tool stdin is not a pipe')
  const stopFeeding = new AbortController()
  const onAbort = () => stopFeeding.abort(signal.reason)
  signal.addEventListener('abort', onAbort, { once: true })
  let toolExited = false
  let killedByUs = false
  const toolDone = child.then((result) => {
    toolExited = true
    if (result.exitCode !== 0) stopFeeding.abort(new Error('tool failed'))
    return result
  })
  const fedDone = pipeline([...streams, new ToolStdin(child.stdin)], { signal: stopFeeding.signal }).catch((error: unknown) => {
    // The tool would wait forever for the rest of its input: stop it.
    if (!toolExited) {
      killedByUs = true
      child.kill('SIGTERM')
    }
    throw error
  })
  const [fed, tool] = await Promise.allSettled([fedDone, toolDone])
  signal.removeEventListener('abort', onAbort)
  decide(run, signal, fed, tool, killedByUs, stderr)
}

/** Which error ends a tool run fed by (or beside) the artifact's chain; returns when both succeeded. */
function decide(
  run: ToolRun,
  signal: AbortSignal,
  fed: PromiseSettledResult<void>,
  tool: PromiseSettledResult<{ exitCode?: number | undefined; isCanceled: boolean }>,
  killedByUs: boolean,
  stderr: TailBuffer,
): void {
  if (signal.aborted) throw signal.reason
  if (fed.status === 'rejected' && isAppError(fed.reason)) throw fed.reason
  if (fed.status === 'rejected' && killedByUs) throw readFailure(fed.reason)
  if (tool.status === 'rejected') throw tool.reason
  if (tool.value.exitCode !== 0 || tool.value.isCanceled) throw toolFailure(run, tool.value.exitCode, stderr.toString())
  if (fed.status === 'rejected') throw readFailure(fed.reason)
}

/** Closes the stages of a chain that will not run (the source's connection or file with them). */
export function destroyStages(stages: StreamStage[]): void {
  for (const stage of stages) if ('destroy' in stage && typeof stage.destroy === 'function') stage.destroy()
}

const HASH_CHUNK = 1024 * 1024

/**
 * Feeds a file through the verifier (the verifying counter) with ONE reused buffer: no buffer is
 * allocated per chunk, so there is nothing for V8 to collect. (Fresh chunk buffers are external
 * memory; on Node 24 every few dozen MiB of them cost a full mark-compact of the runner's heap,
 * which made hashing alone cost more than twice the CPU it did on Node 20.) A chunk's bytes are
 * overwritten only after the verifier's write callback, i.e. after it hashed them; what it passes
 * on is dropped.
 */
async function hashThrough(file: ToolFile, verifier: Duplex, signal: AbortSignal): Promise<void> {
  const buffer = Buffer.allocUnsafe(HASH_CHUNK)
  let failure: unknown = null
  verifier.on('error', (error) => {
    failure ??= error
  })
  verifier.resume()
  for (;;) {
    signal.throwIfAborted()
    if (failure !== null) throw failure
    let bytes: number
    try {
      bytes = await file.read(buffer)
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      throw restoreError('destination_unavailable', `Reading the local artifact failed: ${reason}`, error)
    }
    if (bytes === 0) break
    await new Promise<void>((resolve, reject) => verifier.write(buffer.subarray(0, bytes), (error) => (error ? reject(error) : resolve())))
  }
  verifier.end()
  await finished(verifier)
}

/**
 * Runs a tool on a local artifact it reads itself from stdin (a seekable file: `args` may name
 * `/dev/stdin` for pg_restore -j), while the runner hashes the same inode through a descriptor of
 * its own and the verifying counter (`stages` = [source stream, verifier]; the source stream is not
 * read). Resolves only when the tool succeeded, the sha256 matched and the file did not change
 * meanwhile; the tool is stopped when hashing fails, and hashing when the tool fails.
 */
export async function toolReadsFile(run: ToolRun, file: ArtifactFile, stages: StreamStage[], signal: AbortSignal): Promise<void> {
  const [source, verifier, ...more] = stages
  if (!source || !verifier || more.length > 0) throw new Error('toolReadsFile takes the source stream and the verifier')
  destroyStages([source])
  signal.throwIfAborted()
  const toolFile = await file.openForTool().catch((error: unknown) => {
    destroyStages([verifier])
    throw error
  })
  const hashFile = await file.openForTool().catch(async (error: unknown) => {
    destroyStages([verifier])
    await toolFile.close()
    throw error
  })
  const stopHashing = new AbortController()
  const onAbort = () => stopHashing.abort(signal.reason)
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    const { child, stderr } = spawn(run, signal, toolFile.fd)
    let toolExited = false
    let killedByUs = false
    const toolDone = child.then((result) => {
      toolExited = true
      if (result.exitCode !== 0) stopHashing.abort(new Error('tool failed'))
      return result
    })
    const hashed = hashThrough(hashFile, verifier as Duplex, stopHashing.signal).catch((error: unknown) => {
      // A failed read or checksum: the tool's result can no longer be committed, stop it.
      if (!toolExited) {
        killedByUs = true
        child.kill('SIGTERM')
      }
      throw error
    })
    const [fed, tool] = await Promise.allSettled([hashed, toolDone])
    decide(run, signal, fed, tool, killedByUs, stderr)
    await toolFile.assertUnchanged()
  } finally {
    signal.removeEventListener('abort', onAbort)
    await Promise.all([toolFile.close(), hashFile.close()])
  }
}

function readFailure(error: unknown) {
  const reason = error instanceof Error ? error.message : String(error)
  return restoreError('restore_tool_failed', `Reading the artifact failed: ${reason}. The artifact is probably corrupt.`, error)
}

/** Runs a tool that reads its input from a file (parallel pg_restore on a spooled artifact). */
export async function runTool(run: ToolRun, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted()
  const { child, stderr } = spawn(run, signal, 'ignore')
  const result = await child
  if (signal.aborted) throw signal.reason
  if (result.exitCode !== 0 || result.isCanceled) throw toolFailure(run, result.exitCode, stderr.toString())
}
