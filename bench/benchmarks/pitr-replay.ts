// Benchmark 6: point-in-time replay throughput. A real source with a wal2json slot and a base
// snapshot runs a workload of inserts, updates and deletes in many small transactions; the slot's
// output is cut into one segment. The same base is restored twice: once the workload's own SQL is
// applied with plain psql (the bare tool), once the segment is replayed by the runner's replay
// engine up to the last commit. Both databases must end equal to the source.
import { createReadStream } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { ensureWal2json } from '@devpilot/devenv'
import { captureSegment, createSlotAndSnapshot, dropSlot, libpqEnv, psql } from '@devpilot/devenv/testing'
import { execa } from 'execa'
import postgres from 'postgres'
import { replayToMoment } from '../../services/runner/src/restore/pitr/replay.js'
import type { BenchContext } from '../lib/context.js'
import type { BenchResult } from '../lib/report.js'

const TRANSACTIONS = 2000
const CHANGES_PER_TRANSACTION = 10

function workload(): string {
  const lines: string[] = []
  for (let t = 0; t < TRANSACTIONS; t++) {
    const base = t * 4
    lines.push(
      'BEGIN;',
      `INSERT INTO accounts (id, owner, balance, note) VALUES (${base + 1}, 'a${t}', ${t}.25, 'n'), (${base + 2}, 'b${t}', 0, NULL), (${base + 3}, 'c${t}', 1.5, 'x'), (${base + 4}, 'd${t}', 2, 'y');`,
      `INSERT INTO ledger (account, amount) VALUES (${base + 1}, 1.01), (${base + 2}, 2.02);`,
      `UPDATE accounts SET balance = balance + 1, note = 'u${t}' WHERE id IN (${base + 1}, ${base + 2});`,
      `DELETE FROM accounts WHERE id IN (${base + 3}, ${base + 4});`,
      'COMMIT;',
    )
  }
  return `${lines.join('\n')}\n`
}

const CONTENT = `SELECT md5(string_agg(t, E'\\n' ORDER BY t)) FROM (SELECT a::text AS t FROM accounts a UNION ALL SELECT l::text FROM ledger l) x`

async function restoreBase(clusterUrl: string, name: string, dump: string, binDir: string): Promise<string> {
  await psql(clusterUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE); CREATE DATABASE ${name}`)
  const url = clusterUrl.replace(/\/[^/]*$/, `/${name}`)
  await execa(join(binDir, 'pg_restore'), ['--exit-on-error', '-d', name, dump], { env: libpqEnv(url) })
  return url
}

export async function benchPitrReplay(ctx: BenchContext): Promise<BenchResult> {
  const { system, log } = ctx
  const cluster = system.cluster
  await ensureWal2json(cluster.binDir, log)
  await psql(cluster.url(), 'DROP DATABASE IF EXISTS pitr_src WITH (FORCE); CREATE DATABASE pitr_src')
  const source = cluster.url('pitr_src')
  await psql(
    source,
    'CREATE TABLE accounts (id bigint PRIMARY KEY, owner text NOT NULL, balance numeric(20,6) NOT NULL, note text); CREATE TABLE ledger (id serial PRIMARY KEY, account bigint, amount numeric(12,2));',
  )
  const dump = join(system.workDir, 'pitr-base.dump')
  const slot = 'bench_pitr'
  await psql(cluster.url('pitr_src'), `SELECT pg_drop_replication_slot('${slot}') FROM pg_replication_slots WHERE slot_name = '${slot}'`)
  const snapshot = await createSlotAndSnapshot(source, slot, dump)
  try {
    const script = workload()
    log(`pitr: ${TRANSACTIONS} transactions × ${CHANGES_PER_TRANSACTION} changes on the source`)
    await execa(join(cluster.binDir, 'psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1'], { env: libpqEnv(source), input: script })
    const segment = await captureSegment(source, slot, snapshot.snapshotLsn, join(system.workDir, 'pitr-seg.json'))
    const expected = await psql(source, CONTENT)

    const bareUrl = await restoreBase(cluster.url(), 'pitr_bare', dump, cluster.binDir)
    const bareStart = performance.now()
    await execa(join(cluster.binDir, 'psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1'], { env: libpqEnv(bareUrl), input: script })
    const bareMs = performance.now() - bareStart

    const replayUrl = await restoreBase(cluster.url(), 'pitr_replay', dump, cluster.binDir)
    const sql = postgres(replayUrl, { max: 1, onnotice: () => {} })
    let replayMs: number
    let changes: number
    try {
      const started = performance.now()
      const result = await replayToMoment({
        sql,
        snapshotLsn: snapshot.snapshotLsn,
        targetTime: segment.lastCommitAt,
        segments: [
          {
            name: 'bench segment',
            startLsn: segment.startLsn,
            endLsn: segment.endLsn,
            open: () => createInterface({ input: createReadStream(segment.file), crlfDelay: Number.POSITIVE_INFINITY }),
          },
        ],
      })
      replayMs = performance.now() - started
      changes = result.changes
    } finally {
      await sql.end()
    }
    const same = (await psql(bareUrl, CONTENT)) === expected && (await psql(replayUrl, CONTENT)) === expected
    if (!same) throw new Error('a replayed or psql-applied database differs from the source')
    const perSecond = (ms: number) => Math.round(changes / (ms / 1000))
    log(`pitr: replay ${perSecond(replayMs)} changes/s, psql ${perSecond(bareMs)} changes/s`)
    return {
      rows: [
        {
          metric: `PITR replay, ${changes} changes in ${TRANSACTIONS} transactions`,
          system: `${perSecond(replayMs)} changes/s (${(replayMs / 1000).toFixed(2)} s)`,
          bare: `psql ${perSecond(bareMs)} changes/s (${(bareMs / 1000).toFixed(2)} s)`,
          ratio: +(replayMs / bareMs).toFixed(3),
          target: 'report',
          met: null,
        },
      ],
      details: { changes, transactions: TRANSACTIONS, replayMs, bareMs, segmentBytes: segment.sizeBytes, equalToSource: same },
    }
  } finally {
    await dropSlot(source, slot).catch(() => {})
  }
}
