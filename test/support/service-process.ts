// One real service (the API or a runner) as a child process, started the way production starts it:
// `node --import tsx <entry>`, so the child's pid is the service itself (signals reach it, not a
// wrapper). Both services log pino JSON lines; the helpers read the line that says where the
// service listens, then wait for its /readyz, so ports are chosen by the kernel (PORT=0,
// METRICS_PORT=0) and parallel test files never race for one.
import { PROJECT_ROOT } from '@devpilot/devenv'
import { waitFor } from '@devpilot/devenv/testing'
import { execa, type ResultPromise } from 'execa'

const OUTPUT_LIMIT = 200_000

export interface ServiceProcess {
  name: string
  pid: number
  child: ResultPromise
  /** The most recent output (stdout and stderr interleaved), for failure messages. */
  output(): string
  /** The first JSON log line whose `msg` matches, once it appears. */
  waitForLog(match: (msg: string) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>
  /** SIGSTOP / SIGCONT: freezes the process without it noticing (no shutdown path runs). */
  freeze(): void
  thaw(): void
  /** SIGTERM, then SIGKILL when it has not exited within `graceMs`. Resolves with how it ended. */
  stop(graceMs?: number): Promise<{ exitCode: number | undefined; signal: string | undefined; killed: boolean }>
}

export function spawnService(name: string, entry: string, env: Record<string, string>): ServiceProcess {
  let output = ''
  const child = execa(process.execPath, ['--import', 'tsx', entry], {
    cwd: PROJECT_ROOT,
    env,
    extendEnv: false,
    reject: false,
    all: true,
    buffer: false,
    stdin: 'ignore',
  })
  child.all?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8')
    if (output.length > OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT / 2)
  })
  const pid = child.pid
  if (pid === undefined) throw new Error(`${name} did not start`)
  let exited = false
  void child.then(() => {
    exited = true
  })
  const signal = (target: number, name: NodeJS.Signals): boolean => {
    if (exited) return false
    try {
      return process.kill(target, name)
    } catch {
      return false // it exited between the check and the signal
    }
  }

  const service: ServiceProcess = {
    name,
    pid,
    child,
    output: () => output,
    async waitForLog(match, timeoutMs = 30_000) {
      const found = await waitFor(
        () => {
          if (exited) throw new Error(`${name} exited before it was ready:\n${output.slice(-4000)}`)
          return logLines(output).find((line) => typeof line.msg === 'string' && match(line.msg))
        },
        (line) => line !== undefined,
        { timeoutMs, intervalMs: 50, what: `${name} to log its start` },
      ).catch((error: unknown) => {
        throw new Error(`${error instanceof Error ? error.message : String(error)}\n${name} output:\n${output.slice(-4000)}`)
      })
      if (!found) throw new Error('unreachable: waitFor returned without a line')
      return found
    },
    freeze: () => process.kill(pid, 'SIGSTOP'),
    thaw: () => process.kill(pid, 'SIGCONT'),
    async stop(graceMs = 10_000) {
      // A frozen process would hold SIGTERM pending forever; continuing it first is harmless.
      signal(pid, 'SIGCONT')
      signal(pid, 'SIGTERM')
      let killed = false
      const timer = setTimeout(() => {
        killed = signal(pid, 'SIGKILL')
      }, graceMs)
      const result = await child
      clearTimeout(timer)
      return { exitCode: result.exitCode, signal: result.signal, killed }
    },
  }
  return service
}

function logLines(output: string): Array<Record<string, unknown>> {
  const lines: Array<Record<string, unknown>> = []
  for (const text of output.split('\n')) {
    if (!text.startsWith('{')) continue
    try {
      lines.push(JSON.parse(text) as Record<string, unknown>)
    } catch {
      // a line cut by the output limit, or not JSON after all: not a log line we look for
    }
  }
  return lines
}

/** Polls GET <url> until it answers 200. */
export async function waitReady(service: ServiceProcess, url: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    async () => {
      if (service.child.exitCode !== null) throw new Error(`${service.name} exited:\n${service.output().slice(-4000)}`)
      return fetch(url).then(
        (res) => res.status,
        () => 0,
      )
    },
    (status) => status === 200,
    { timeoutMs, intervalMs: 50, what: `${url} to answer 200` },
  )
}
