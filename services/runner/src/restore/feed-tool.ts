// Runs a restore tool (pg_restore, psql, tar) with a chain of streams piped into its stdin, and
// decides how the pair ended. A source/integrity error (checksum, storage, unsafe archive) wins
// over the tool's own failure, since it explains it; a tool that stops reading early does not stop
// the chain, so the sha256 of the whole artifact is still verified before anything is committed.
import { once } from 'node:events'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { isAppError } from '@devpilot/contracts'
import { execa } from 'execa'
import { restoreError } from '../errors.js'
import { stderrTail, TailBuffer } from '../scrub.js'

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

function spawn(run: ToolRun, signal: AbortSignal, withStdin: boolean) {
  const stderr = new TailBuffer()
  const child = execa(run.file, run.args, {
    env: run.env,
    extendEnv: false,
    ...(run.cwd ? { cwd: run.cwd } : {}),
    stdin: withStdin ? 'pipe' : 'ignore',
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

/** Pipes `streams` into the tool's stdin and resolves when both succeeded; throws the deciding error otherwise. */
export async function feedTool(run: ToolRun, streams: StreamStage[], signal: AbortSignal): Promise<void> {
  signal.throwIfAborted()
  const { child, stderr } = spawn(run, signal, true)
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
  if (signal.aborted) throw signal.reason
  if (fed.status === 'rejected' && isAppError(fed.reason)) throw fed.reason
  if (fed.status === 'rejected' && killedByUs) throw readFailure(fed.reason)
  if (tool.status === 'rejected') throw tool.reason
  if (tool.value.exitCode !== 0 || tool.value.isCanceled) throw toolFailure(run, tool.value.exitCode, stderr.toString())
  if (fed.status === 'rejected') throw readFailure(fed.reason)
}

function readFailure(error: unknown) {
  const reason = error instanceof Error ? error.message : String(error)
  return restoreError('restore_tool_failed', `Reading the artifact failed: ${reason}. The artifact is probably corrupt.`, error)
}

/** Runs a tool that reads its input from a file (parallel pg_restore on a spooled artifact). */
export async function runTool(run: ToolRun, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted()
  const { child, stderr } = spawn(run, signal, false)
  const result = await child
  if (signal.aborted) throw signal.reason
  if (result.exitCode !== 0 || result.isCanceled) throw toolFailure(run, result.exitCode, stderr.toString())
}
