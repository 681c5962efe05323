// Numbers: percentiles, wall-clock timing, microsecond-exact API timestamps, and formatting.

/** Nearest-rank percentile (p in 0–100) of a non-empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of an empty list')
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)))
  return sorted[rank - 1] as number
}

export const median = (values: readonly number[]) => percentile(values, 50)

/** Runs fn and returns its result with the elapsed wall time in milliseconds. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = performance.now()
  const result = await fn()
  return { result, ms: performance.now() - start }
}

/** An ISO-8601 UTC time from the API (microseconds kept) as microseconds since the epoch; a JS Date would round to ms. */
export function isoMicros(iso: string): number {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(iso)
  if (!match?.[1]) throw new Error(`not an ISO UTC time: ${iso}`)
  const fraction = (match[2] ?? '').padEnd(6, '0').slice(0, 6)
  return Date.parse(`${match[1]}Z`) * 1000 + Number(fraction)
}

export const MiB = 1024 * 1024
export const fmtSeconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`
export const fmtMs = (ms: number) => `${ms.toFixed(1)} ms`
export const fmtMiB = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`
