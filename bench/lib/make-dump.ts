// A pg_custom dump of a given size on disk that compression cannot shrink: tables of random
// bytea (pgcrypto's gen_random_bytes, 1024 bytes at most a call, hence two per row), dumped with
// -Z0. bytea dumps as hex text, so N MiB of data makes a ~2N MiB dump. Several tables (each with a
// primary key) give parallel pg_restore something to run side by side.
import type { LocalCluster } from '@devpilot/devenv'
import { fileSize, pgDump, psql } from '@devpilot/devenv/testing'
import { dropDatabase } from './bare-tools.js'
import { MiB } from './stats.js'

const ROW_BYTES = 2000

export async function makeIncompressibleDump(
  cluster: LocalCluster,
  options: { database: string; dumpMiB: number; tables: number; outFile: string },
): Promise<{ file: string; bytes: number }> {
  const { database, tables } = options
  const rowsPerTable = Math.ceil((options.dumpMiB * MiB) / 2 / ROW_BYTES / tables)
  await dropDatabase(cluster, database)
  await psql(cluster.url(), `CREATE DATABASE ${database}`)
  const url = cluster.url(database)
  await psql(url, 'CREATE EXTENSION pgcrypto')
  const fill = (t: number) =>
    psql(
      url,
      `CREATE TABLE blobs_${t} (id int PRIMARY KEY, payload bytea NOT NULL);
       INSERT INTO blobs_${t} SELECT g, gen_random_bytes(1000) || gen_random_bytes(1000) FROM generate_series(1, ${rowsPerTable}) g;`,
    )
  // Two sessions at a time: one per core of the benchmark machine.
  for (let t = 0; t < tables; t += 2) await Promise.all([fill(t), ...(t + 1 < tables ? [fill(t + 1)] : [])])
  // The data stays; the dump then needs no extension to restore.
  await psql(url, 'DROP EXTENSION pgcrypto')
  await pgDump(url, 'pg_custom', options.outFile, ['--compress=0'])
  await dropDatabase(cluster, database)
  return { file: options.outFile, bytes: fileSize(options.outFile) }
}
