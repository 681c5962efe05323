// The results table (metric, system, bare tool, ratio, target, met?) printed at the end, and
// bench/results/latest.json with the same rows plus every raw figure and the machine.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

export interface ResultRow {
  metric: string
  system: string
  /** The bare tool's figure, or the baseline the system is compared with (e.g. the 10k-row table). */
  bare: string
  ratio: number | null
  target: string
  met: boolean | null
}

export interface BenchResult {
  rows: ResultRow[]
  details: Record<string, unknown>
}

const HEADERS = ['metric', 'system', 'bare tool / baseline', 'ratio', 'target', 'met?'] as const

function cells(row: ResultRow): string[] {
  return [row.metric, row.system, row.bare, row.ratio === null ? '—' : row.ratio.toFixed(3), row.target, row.met === null ? '—' : row.met ? 'yes' : 'NO']
}

export function formatTable(rows: readonly ResultRow[]): string {
  const table = [[...HEADERS], ...rows.map(cells)]
  const widths = HEADERS.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`
  return [line(table[0] ?? []), rule, ...table.slice(1).map(line)].join('\n')
}

export function writeResults(file: string, payload: unknown): void {
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, `${JSON.stringify(payload, null, 2)}\n`)
}
