// Everything the benchmark starts, so it can all be stopped: child processes (by their own pid)
// and cleanup steps (s3rver, the cluster), run last-in first-out at the end of the run, on an
// error, and on Ctrl-C / SIGTERM. Nothing here touches a process the benchmark did not start.
import { execa, type Options } from 'execa'

/** What cleanup needs of a child: a way to signal it and to wait for its end. */
interface Tracked extends PromiseLike<unknown> {
  kill(signal: NodeJS.Signals): boolean
}

const children = new Set<Tracked>()
const cleanups: Array<{ name: string; run: () => Promise<void> }> = []
let cleaning: Promise<void> | undefined

/** Starts a child process (argument array, never a shell) and tracks it until it exits. */
export function spawnTracked<O extends Options>(file: string, args: readonly string[], options: O) {
  const child = execa(file, args, options)
  const tracked: Tracked = child
  children.add(tracked)
  void child.then(
    () => children.delete(tracked),
    () => children.delete(tracked),
  )
  return child
}

/** Registers a cleanup step; steps run in reverse order of registration. */
export function onCleanup(name: string, run: () => Promise<void>): void {
  cleanups.push({ name, run })
}

async function cleanupOnce(): Promise<void> {
  for (const child of children) child.kill('SIGTERM')
  const deadline = setTimeout(() => {
    for (const child of children) child.kill('SIGKILL')
  }, 15_000)
  await Promise.allSettled([...children])
  clearTimeout(deadline)
  for (const step of cleanups.reverse()) {
    try {
      await step.run()
    } catch (error) {
      console.error(`[bench] cleanup "${step.name}" failed:`, error instanceof Error ? error.message : error)
    }
  }
}

/** Stops every tracked child and runs every cleanup step, once, however often it is called. */
export function cleanupAll(): Promise<void> {
  cleaning ??= cleanupOnce()
  return cleaning
}

export function installSignalHandlers(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      console.error(`\n[bench] ${signal}: stopping everything the benchmark started…`)
      void cleanupAll().finally(() => process.exit(130))
    })
  }
}
