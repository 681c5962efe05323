// A real change-data-capture producer for the point-in-time tests, doing what a real-time plan's
// agent does: create a wal2json logical slot that exports a snapshot, pg_dump exactly that
// snapshot (the base backup, consistent with the slot's LSN), then cut the slot's stream into
// segments with pg_recvlogical (wal2json format version 2, timestamps, LSNs, primary keys).
import { createReadStream, createWriteStream, statSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import { execa } from 'execa'
import { findPgBinDir, pgBin } from '../pg-binaries.js'
import { libpqEnv, psql, sha256File } from './artifacts.js'

export interface BaseSnapshot {
  slot: string
  snapshotLsn: string
}

/**
 * Creates the slot and dumps the exported snapshot in custom format to `dumpFile`. The
 * replication connection that exported the snapshot stays open (idle) until the dump has ended,
 * as the snapshot lives only as long as that connection.
 */
export async function createSlotAndSnapshot(sourceUrl: string, slot: string, dumpFile: string): Promise<BaseSnapshot> {
  const binDir = findPgBinDir()
  const env = libpqEnv(sourceUrl)
  const replication = execa(pgBin(binDir, 'psql'), ['-X', '-At', '-v', 'ON_ERROR_STOP=1', '-d', `dbname=${env.PGDATABASE} replication=database`], {
    env,
    stdin: 'pipe',
    stdout: 'pipe',
    reject: false,
  })
  const { stdin, stdout } = replication
  if (!stdin || !stdout) throw new Error('psql pipes are not open')
  const answer = new Promise<string>((resolve, reject) => {
    stdout.once('data', (chunk) => resolve(String(chunk)))
    void replication.then((r) => reject(new Error(`replication connection ended: ${r.stderr}`)))
  })
  stdin.write(`CREATE_REPLICATION_SLOT ${slot} LOGICAL wal2json EXPORT_SNAPSHOT;\n`)
  const [, snapshotLsn, snapshotName] = (await answer).trim().split('|')
  if (!snapshotLsn || !snapshotName) throw new Error('CREATE_REPLICATION_SLOT gave no snapshot')
  try {
    await execa(pgBin(binDir, 'pg_dump'), ['--format=custom', `--snapshot=${snapshotName}`, '--file', dumpFile], { env })
  } finally {
    stdin.end()
    await replication
  }
  return { slot, snapshotLsn }
}

export interface CapturedSegment {
  file: string
  startLsn: string
  endLsn: string
  firstCommitAt: string
  lastCommitAt: string
  transactions: number
  sizeBytes: number
  sha256: string
  compression: 'none' | 'gzip'
}

/** wal2json's `2026-11-24 17:41:55.915345+00` as ISO-8601 UTC with microseconds. */
export function wal2jsonTimeToIso(value: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)?\+00$/.exec(value)
  if (!m) throw new Error(`unexpected wal2json timestamp ${value}`)
  return `${m[1]}T${m[2]}${(m[3] ?? '.').padEnd(7, '0')}Z`
}

/**
 * Streams everything the slot holds up to the current WAL insert position into `file` and
 * returns the segment's metadata as a producer would register it. `startLsn` is where the
 * previous segment (or the snapshot) ended.
 */
export async function captureSegment(
  sourceUrl: string,
  slot: string,
  startLsn: string,
  file: string,
  compression: 'none' | 'gzip' = 'none',
): Promise<CapturedSegment> {
  const binDir = findPgBinDir()
  const env = libpqEnv(sourceUrl)
  const endLsn = (await psql(sourceUrl, 'SELECT pg_current_wal_insert_lsn()')).trim()
  const raw = compression === 'gzip' ? `${file}.raw` : file
  await execa(
    pgBin(binDir, 'pg_recvlogical'),
    ['-d', env.PGDATABASE ?? '', '--slot', slot, '--start', '--no-loop', '--endpos', endLsn, '-f', raw, ...WAL2JSON_OPTIONS],
    { env },
  )
  let first: string | undefined
  let last: string | undefined
  let transactions = 0
  for await (const line of createInterface({ input: createReadStream(raw), crlfDelay: Number.POSITIVE_INFINITY })) {
    const m = /^\{"action":"C","timestamp":"([^"]+)"/.exec(line)
    if (!m?.[1]) continue
    transactions++
    first ??= m[1]
    last = m[1]
  }
  if (!first || !last) throw new Error('the segment holds no transaction; run some before capturing')
  if (compression === 'gzip') {
    await pipeline(createReadStream(raw), createGzip(), createWriteStream(file))
  }
  return {
    file,
    startLsn,
    endLsn,
    firstCommitAt: wal2jsonTimeToIso(first),
    lastCommitAt: wal2jsonTimeToIso(last),
    transactions,
    sizeBytes: statSync(file).size,
    sha256: await sha256File(file),
    compression,
  }
}

export const WAL2JSON_OPTIONS = ['-o', 'format-version=2', '-o', 'include-timestamp=1', '-o', 'include-lsn=1', '-o', 'include-pk=1']

export async function dropSlot(sourceUrl: string, slot: string): Promise<void> {
  await psql(
    sourceUrl,
    `SELECT pg_drop_replication_slot('${slot.replaceAll("'", "''")}') FROM pg_replication_slots WHERE slot_name = '${slot.replaceAll("'", "''")}'`,
  )
}
