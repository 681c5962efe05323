// The machine a run measured: CPU model and count, memory, and the versions of what ran.
import { readFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import type { LocalCluster } from '@devpilot/devenv'
import { psql } from '@devpilot/devenv/testing'
import { execa } from 'execa'

export interface Machine {
  cpuModel: string
  cores: number
  memoryGiB: number
  node: string
  postgres: string
  tar: string
  kernel: string
}

export async function describeMachine(cluster: LocalCluster): Promise<Machine> {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')
  const tar = await execa('tar', ['--version'], { reject: false })
  return {
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: +(totalmem() / 1024 ** 3).toFixed(1),
    node: process.version,
    postgres: (await psql(cluster.url(), 'SHOW server_version')).trim(),
    tar: tar.stdout.split('\n')[0] ?? 'unknown',
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
  }
}

/** The 1-minute load average: other work on the machine during a measurement shows here. */
export function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0])
}
