// Benchmark 5: API throughput and latency on loopback with autocannon, for GET /v1/backups (the
// history list, newest first, default page) at 10k and at 1M backups in the workspace, and for
// POST /v1/backups/{id}/restores at 1M. The runner is stopped first, so the restores accepted under
// load stay `pending` (each still costs the API its full work: checks, insert, pg-boss job, NOTIFY)
// and nothing else competes for the two cores.
import { must } from '../lib/api.js'
import type { BenchContext } from '../lib/context.js'
import { explainListQuery } from '../lib/explain.js'
import { type LoadResult, loadTest } from '../lib/load.js'
import { loadAverage } from '../lib/machine.js'
import type { BenchResult, ResultRow } from '../lib/report.js'
import { seedBackups } from '../lib/seed-backups.js'
import { median, timed } from '../lib/stats.js'

const SMALL = 10_000
const LARGE = 1_000_000
const EXTRA_PLANS = 18
const SECONDS = 5
const CONNECTIONS = 10

const summary = (r: LoadResult) => `${r.requestsPerSecond.toFixed(0)} req/s, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms`

export async function benchApiLoad(ctx: BenchContext): Promise<BenchResult> {
  const { system, ws, log } = ctx
  await system.stopRunner()
  log('api: runner stopped; restores accepted under load stay pending')
  for (let i = 0; i < EXTRA_PLANS; i++) {
    const body =
      i % 2 === 0
        ? { name: `db plan ${i}`, type: 'database' as const, sourceServerId: ws.serverId, sourceDatabase: `app_${i}`, destinationId: ws.destinationId }
        : { name: `files plan ${i}`, type: 'files' as const, sourcePath: `/srv/app-${i}`, destinationId: ws.destinationId }
    must(await ws.api.POST('/v1/plans', { body }), 'create plan')
  }
  const headers = { authorization: `Bearer ${ws.token}` }
  const listUrl = `${system.apiUrl}/v1/backups`
  const list = () => loadTest({ url: listUrl, headers, connections: CONNECTIONS, seconds: SECONDS })

  const small = await timed(() => seedBackups(system.databaseUrl, { workspaceId: ws.workspaceId, from: 1, to: SMALL }))
  log(`api: ${SMALL} backups inserted in ${(small.ms / 1000).toFixed(1)} s; GET /v1/backups for ${SECONDS} s`)
  const listSmall = await list()
  log(`api: 10k rows: ${summary(listSmall)}`)

  const large = await timed(() => seedBackups(system.databaseUrl, { workspaceId: ws.workspaceId, from: SMALL + 1, to: LARGE }))
  log(`api: ${LARGE - SMALL} more backups inserted (INSERT … SELECT generate_series + VACUUM ANALYZE) in ${(large.ms / 1000).toFixed(1)} s`)
  const listLarge = await list()
  log(`api: 1M rows: ${summary(listLarge)}`)
  const plan = await explainListQuery(system.databaseUrl, ws.workspaceId)
  log(`api: the API's list SQL at 1M: ${plan.executionMs} ms (list index ${plan.usesListIndex ? 'used' : 'NOT used'})`)

  const target = must(await ws.api.GET('/v1/backups', { params: { query: { planId: ws.filesPlanId, status: 'completed', limit: 1 } } }), 'find a backup')
    .items[0]
  if (!target) throw new Error('no completed files backup to restore under load')
  const postTo = (apiUrl: string) =>
    loadTest({
      url: `${apiUrl}/v1/backups/${target.id}/restores`,
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ targetPath: `${system.filesRoot}/load-target`, overwrite: true }),
      connections: CONNECTIONS,
      seconds: SECONDS,
    })
  const load = loadAverage()
  const post = await postTo(system.apiUrl)
  log(`api: POST restores at 1M rows: ${summary(post)} (load ${load})`)
  const comparison = ctx.options.variants.length > 1 ? await compareApiVariants(ctx, listUrl, postTo, headers) : undefined

  for (const [name, r] of [
    ['GET list 10k', listSmall],
    ['GET list 1M', listLarge],
    ['POST restores', post],
  ] as const) {
    if (r.non2xx > 0 || r.errors > 0) throw new Error(`${name}: ${r.non2xx} non-2xx answers and ${r.errors} errors under load`)
  }
  const meanRatio = listLarge.latencyMs.mean / listSmall.latencyMs.mean
  const p99Ratio = listLarge.latencyMs.p99 / listSmall.latencyMs.p99
  const rows: ResultRow[] = [
    { metric: 'GET /v1/backups, 10k backups', system: summary(listSmall), bare: '—', ratio: null, target: '—', met: null },
    { metric: 'GET /v1/backups, 1M backups', system: summary(listLarge), bare: '—', ratio: null, target: '—', met: null },
    {
      metric: 'GET /v1/backups mean latency, 1M vs 10k',
      system: `${listLarge.latencyMs.mean.toFixed(2)} ms`,
      bare: `10k: ${listSmall.latencyMs.mean.toFixed(2)} ms`,
      ratio: meanRatio,
      target: '≤ 1.20 (flat)',
      met: meanRatio <= 1.2,
    },
    {
      metric: 'GET /v1/backups p99 latency, 1M vs 10k',
      system: `${listLarge.latencyMs.p99} ms`,
      bare: `10k: ${listSmall.latencyMs.p99} ms`,
      ratio: p99Ratio,
      target: '≤ 1.50',
      met: p99Ratio <= 1.5,
    },
    {
      metric: "the API's list SQL at 1M (EXPLAIN ANALYZE)",
      system: `${plan.executionMs} ms${plan.usesListIndex ? ' (index walk)' : ' (seq scan + sort)'}`,
      bare: '—',
      ratio: null,
      target: 'index used',
      met: plan.usesListIndex,
    },
    { metric: 'POST /v1/backups/{id}/restores, 1M backups', system: summary(post), bare: '—', ratio: null, target: '—', met: null },
  ]
  return {
    rows,
    details: {
      connections: CONNECTIONS,
      seconds: SECONDS,
      seed: { smallRows: SMALL, smallMs: small.ms, largeRows: LARGE, largeMs: large.ms },
      listSmall,
      listLarge,
      listSqlAt1M: plan,
      postRestores: post,
      ...(comparison ? { variants: comparison } : {}),
    },
  }
}

/**
 * With --variant: one extra API process per variant (node binary, compiled or tsx) on the same
 * database, and the list and POST loads run against each in turn, round after round, so every
 * variant sees the same background load. Reports each sample with the load average before it.
 */
async function compareApiVariants(ctx: BenchContext, listUrl: string, postTo: (apiUrl: string) => Promise<LoadResult>, headers: Record<string, string>) {
  const { system, log, options } = ctx
  const apis = []
  for (const variant of options.variants) apis.push({ variant, ...(await system.addApi(variant)) })
  const samples = apis.map(() => ({ list: [] as Array<LoadResult & { load: number }>, post: [] as Array<LoadResult & { load: number }> }))
  try {
    for (let rep = 1; rep <= options.repeats; rep++) {
      for (const [i, api] of apis.entries()) {
        const listLoad = loadAverage()
        const list = await loadTest({ url: listUrl.replace(system.apiUrl, api.url), headers, connections: CONNECTIONS, seconds: SECONDS })
        const postLoad = loadAverage()
        const post = await postTo(api.url)
        samples[i]?.list.push({ ...list, load: listLoad })
        samples[i]?.post.push({ ...post, load: postLoad })
        log(`api: round ${rep}, ${api.variant.label}: GET list 1M ${summary(list)} (load ${listLoad}); POST ${summary(post)} (load ${postLoad})`)
      }
    }
  } finally {
    for (const api of apis) await api.service.stop()
  }
  return apis.map((api, i) => {
    const s = samples[i] ?? { list: [], post: [] }
    return {
      variant: api.variant.label,
      listRequestsPerSecond: median(s.list.map((r) => r.requestsPerSecond)),
      listP99Ms: median(s.list.map((r) => r.latencyMs.p99)),
      postRequestsPerSecond: median(s.post.map((r) => r.requestsPerSecond)),
      postP99Ms: median(s.post.map((r) => r.latencyMs.p99)),
      samples: s,
    }
  })
}
