// Reads memory figures of our own child processes from /proc (Linux). A service may be started
// through a wrapper (the tsx CLI forks the real node process), so the pid to read is the first
// process in the child's subtree whose command line names the service's entry file.
import { readdirSync, readFileSync } from 'node:fs'

function parentOf(pid: number): number | null {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may contain spaces, so split after ")".
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[1])
  } catch {
    return null
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
  } catch {
    return ''
  }
}

/** The pid in rootPid's subtree (rootPid included) whose command line contains `marker`. */
export function findProcessInTree(rootPid: number, marker: string): number | null {
  if (commandLine(rootPid).includes(marker)) return rootPid
  const pids = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
  const inTree = new Set([rootPid])
  // Walk outwards until no new descendant appears (the tree is small: a wrapper and node).
  for (let grew = true; grew; ) {
    grew = false
    for (const pid of pids) {
      const parent = parentOf(pid)
      if (parent !== null && inTree.has(parent) && !inTree.has(pid)) {
        inTree.add(pid)
        grew = true
        if (commandLine(pid).includes(marker)) return pid
      }
    }
  }
  return null
}

/** Peak resident set size (VmHWM) of a process, in KiB. */
export function peakRssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = /VmHWM:\s+(\d+) kB/.exec(status)
  if (!match?.[1]) throw new Error(`no VmHWM in /proc/${pid}/status`)
  return Number(match[1])
}

/**
 * CPU time (user + system) a process has used so far, in ms (/proc/<pid>/stat counts in clock
 * ticks of 1/100 s). Unlike wall time, a loaded machine does not inflate it much.
 */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}
