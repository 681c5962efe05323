// Spawns the real runner (services/runner/src/main.ts) as a child process, as production runs it,
// so tests can SIGKILL or SIGTERM it. `node --import tsx` keeps it one process: killing it kills
// the runner itself, not a wrapper.
import { PROJECT_ROOT } from '@devpilot/devenv'
import { execa, type ResultPromise } from 'execa'

export interface RunnerProcess {
  child: ResultPromise
  output(): string
}

export function spawnRunner(env: Record<string, string>): RunnerProcess {
  let output = ''
  const child = execa(process.execPath, ['--import', 'tsx', 'services/runner/src/main.ts'], {
    cwd: PROJECT_ROOT,
    env: { ...env, LOG_LEVEL: env.LOG_LEVEL === 'silent' ? 'info' : (env.LOG_LEVEL ?? 'info') },
    reject: false,
    all: true,
    buffer: false,
  })
  child.all?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8')
    if (output.length > 200_000) output = output.slice(-100_000)
  })
  return { child, output: () => output }
}

/** Resolves once the runner logged that it is ready. */
export async function waitReady(runner: RunnerProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!runner.output().includes('"runner ready"')) {
    if (Date.now() > deadline) throw new Error(`runner did not become ready:\n${runner.output().slice(-3000)}`)
    if (runner.child.exitCode !== null) throw new Error(`runner exited early:\n${runner.output().slice(-3000)}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
