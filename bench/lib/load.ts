// One short HTTP load run with autocannon, in process, against 127.0.0.1 only: bounded
// connections, a fixed duration, a one-second warm-up run discarded first.
import autocannon from 'autocannon'

export interface LoadResult {
  requestsPerSecond: number
  latencyMs: { mean: number; p50: number; p99: number; max: number }
  requests: number
  non2xx: number
  errors: number
}

export async function loadTest(options: {
  url: string
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  body?: string
  connections?: number
  seconds?: number
}): Promise<LoadResult> {
  if (new URL(options.url).hostname !== '127.0.0.1') throw new Error('load tests only run against 127.0.0.1')
  const base = {
    url: options.url,
    method: options.method ?? 'GET',
    headers: options.headers ?? {},
    ...(options.body ? { body: options.body } : {}),
    connections: options.connections ?? 10,
  }
  await autocannon({ ...base, duration: 1 })
  const result = await autocannon({ ...base, duration: options.seconds ?? 5 })
  return {
    requestsPerSecond: result.requests.average,
    latencyMs: { mean: result.latency.average, p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
  }
}
