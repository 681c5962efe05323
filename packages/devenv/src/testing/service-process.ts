// One real service (the API or a runner) as a child process, from its TypeScript source. The
// command is built in exactly one place (`tsxCommand`): this node binary with `--import tsx`, so
// the child's pid is the service itself (signals reach it, not a wrapper). Both services log pino
// JSON lines; `ready()` reads the line that says where the service listens, then waits for its
// /readyz, so ports are chosen by the kernel (PORT=0, METRICS_PORT=0) and parallel test files
// never race for one.
import { execa, type ResultPromise } from 'execa'
import { PROJECT_ROOT } from '../paths.js'
import { waitFor } from './wait-for.js'

const OUTPUT_LIMIT = 200_000

/**
 * How long a service may take to start. Loading the API's TypeScript through tsx alone took 27 s on a
 * 2-core machine with several test runs at once (load average ~50); a start is a state to wait for,
 * not a timing to assert.
 */
const START_TIMEOUT_MS = 120_000

export type ServiceName = 'api' | 'runner'

/** Each service's entry file, relative to the project root. */
export const SERVICE_ENTRIES: Record<ServiceName, string> = {
  api: 'services/api/src/server.ts',
  runner: 'services/runner/src/main.ts',
}

export interface Command {
  file: string
  args: string[]
  cwd: string
}

/**
 * How tests, the demo and benchmarks run a TypeScript entry file: `node --import tsx <entry>`
 * with the running node binary, from the project root (where tsx is installed). Production runs
 * the compiled output instead; only this function knows about tsx.
 */
export function tsxCommand(entry: string, nodeArgs: string[] = []): Command {
  return { file: process.execPath, args: [...nodeArgs, '--import', 'tsx', entry], cwd: PROJECT_ROOT }
}

export function serviceCommand(service: ServiceName): Command {
  return tsxCommand(SERVICE_ENTRIES[service])
}

/** Only what a service needs from the caller's environment: no test variable changes its behaviour. */
export function serviceBaseEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', ...(process.env.HOME ? { HOME: process.env.HOME } : {}) }
}

export interface ServiceProcess {
  service: ServiceName
  name: string
  pid: number
  child: ResultPromise
  /** The most recent output (stdout and stderr interleaved), for failure messages. */
  output(): string
  /** The first JSON log line whose `msg` matches, once it appears. */
  waitForLog(match: (msg: string) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>
  /** Waits for the start-up line and a 200 from /readyz; the URL the service answers on. */
  ready(timeoutMs?: number): Promise<string>
  /** SIGSTOP / SIGCONT: freezes the process without it noticing (no shutdown path runs). */
  freeze(): void
  thaw(): void
  /** SIGTERM, then SIGKILL when it has not exited within `graceMs`. Resolves with how it ended. */
  stop(graceMs?: number): Promise<{ exitCode: number | undefined; signal: string | undefined; killed: boolean }>
}

/**
 * Starts `service` with `env` on top of `serviceBaseEnv()`. The start-up lines are read from the
 * logs, so LOG_LEVEL is at least `info` (`silent` or unset becomes `info`).
 */
export function spawnService(service: ServiceName, env: Record<string, string>, options: { name?: string } = {}): ServiceProcess {
  const name = options.name ?? env.RUNNER_ID ?? service
  const command = serviceCommand(service)
  let output = ''
  const child = execa(command.file, command.args, {
    cwd: command.cwd,
    env: { ...serviceBaseEnv(), ...env, LOG_LEVEL: env.LOG_LEVEL === undefined || env.LOG_LEVEL === 'silent' ? 'info' : env.LOG_LEVEL },
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

  const proc: ServiceProcess = {
    service,
    name,
    pid,
    child,
    output: () => output,
    async waitForLog(match, timeoutMs = START_TIMEOUT_MS) {
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
    async ready(timeoutMs = START_TIMEOUT_MS) {
      // Fastify logs "Server listening at http://127.0.0.1:<port>"; a runner logs "runner ready"
      // with its health port. Then /readyz must answer (the database reachable, the worker started).
      const url =
        service === 'api'
          ? String((await proc.waitForLog((msg) => msg.startsWith('Server listening at http://'), timeoutMs)).msg).replace('Server listening at ', '')
          : `http://127.0.0.1:${Number((await proc.waitForLog((msg) => msg === 'runner ready', timeoutMs)).healthPort)}`
      await waitReady(proc, `${url}/readyz`, timeoutMs)
      return url
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
  return proc
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
async function waitReady(proc: ServiceProcess, url: string, timeoutMs: number): Promise<void> {
  await waitFor(
    async () => {
      if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited:\n${proc.output().slice(-4000)}`)
      return fetch(url).then(
        (res) => res.status,
        () => 0,
      )
    },
    (status) => status === 200,
    { timeoutMs, intervalMs: 50, what: `${url} to answer 200` },
  )
}
