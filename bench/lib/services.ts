// Starts the API or a runner as a child process, like `pnpm start` does (the compiled output that
// `pnpm build` emits, the same environment names), but with the output going to a log file under the benchmark's folder so a
// busy service never blocks on a full pipe. A service is ready when its /readyz answers 200.
import { join } from 'node:path'
import { COMPILED_ENTRIES, compiledServiceArgs, PROJECT_ROOT, type ServiceName } from '@devpilot/devenv'
import { serviceBaseEnv } from '@devpilot/devenv/testing'
import type { ResultPromise } from 'execa'
import { cpuMs, findProcessInTree, peakRssKiB } from './proc-status.js'
import { spawnTracked } from './processes.js'

export interface Service {
  name: string
  /** pid of the node process running the service's entry file (not a wrapper). */
  pid: number
  logFile: string
  peakRssKiB(): number
  /** CPU time (user + system) the service process has used so far, in ms. */
  cpuMs(): number
  stop(): Promise<void>
}

let started = 0

async function waitReady(url: string, child: ResultPromise, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode} before it was ready; see ${logFile}`)
    try {
      if ((await fetch(url)).ok) return
    } catch {}
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${url} not ready within ${timeoutMs / 1000} s; see ${logFile}`)
}

/** How a service process is run: which node binary, and the compiled output or the sources through tsx. */
export interface ServiceRuntime {
  node: string
  runtime: 'compiled' | 'tsx'
  /** Extra node flags before the entry (e.g. --cpu-prof). */
  nodeArgs?: readonly string[]
}

const SOURCE_ENTRIES: Record<ServiceName, string> = { api: 'services/api/src/server.ts', runner: 'services/runner/src/main.ts' }

export const DEFAULT_RUNTIME: ServiceRuntime = { node: process.execPath, runtime: 'compiled' }

export async function startService(options: {
  name: ServiceName
  env: Record<string, string>
  readyUrl: string
  logDir: string
  runtime?: ServiceRuntime
}): Promise<Service> {
  const logFile = join(options.logDir, `${options.name}-${++started}.log`)
  const how = options.runtime ?? DEFAULT_RUNTIME
  const entry = how.runtime === 'tsx' ? SOURCE_ENTRIES[options.name] : COMPILED_ENTRIES[options.name]
  const args = how.runtime === 'tsx' ? ['--import', 'tsx', entry] : compiledServiceArgs(options.name)
  // `node <entry>` runs the service in this very process, so child.pid is the service itself.
  const child = spawnTracked(how.node, [...(how.nodeArgs ?? []), ...args], {
    cwd: PROJECT_ROOT,
    // Only what a service needs: no variable of the caller's shell changes what is measured.
    env: { ...serviceBaseEnv(), ...options.env },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    stdout: { file: logFile },
    stderr: { file: logFile.replace(/\.log$/, '.err.log') },
  })
  if (child.pid === undefined) throw new Error(`could not start ${options.name}`)
  await waitReady(options.readyUrl, child, logFile, 60_000)
  const pid = findProcessInTree(child.pid, entry)
  if (pid === null) throw new Error(`no process running ${entry} under pid ${child.pid}`)
  return {
    name: options.name,
    pid,
    logFile,
    peakRssKiB: () => peakRssKiB(pid),
    cpuMs: () => cpuMs(pid),
    async stop() {
      if (child.exitCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
      await child
      clearTimeout(timer)
    },
  }
}
