// Shared by the preflight, preview and cancel tests: what a restore record says about its checks,
// preview and cancel, and an identity of a target database that a replacement would change (its
// oid and its tables' oids), next to the content fingerprint.
import { join } from 'node:path'
import type { PreflightCheck, RestorePreview } from '@devpilot/contracts'
import { adminQuery, createEmptyDatabase, pgDump, psql, type Teardown, testEnv } from '@devpilot/devenv/testing'
import { restoreShortId } from '../src/restore/short-id.js'
import type { Harness } from './harness.js'

export interface TrustRecord {
  checks: PreflightCheck[]
  preview: RestorePreview | null
  stage: string | null
  cancel_requested_at: string | null
  completed_at: string | null
}

export async function trustRecord(h: Harness, id: string): Promise<TrustRecord> {
  const [row] = await h.db.sql<TrustRecord[]>`
    SELECT checks, preview, stage, cancel_requested_at::text, completed_at::text FROM restores WHERE id = ${id}`
  if (!row) throw new Error(`restore ${id} not found`)
  return row
}

export function checkNamed(checks: PreflightCheck[], name: string): PreflightCheck | undefined {
  return checks.find((c) => c.name === name)
}

/** The database's oid and its public tables' oids: a replaced or recreated database has new ones. */
export async function databaseOids(url: string, name: string): Promise<{ db: string | undefined; rels: string | undefined }> {
  const [db] = await adminQuery<{ oid: string }>(testEnv().DEVPILOT_TEST_PG_URL, 'SELECT oid::text FROM pg_database WHERE datname = $1', [name])
  const [rels] = await adminQuery<{ rel: string | null }>(
    url,
    "SELECT string_agg(oid::text || ':' || relname, ',' ORDER BY relname) AS rel FROM pg_class WHERE relnamespace = 'public'::regnamespace",
  )
  return { db: db?.oid, rels: rels?.rel ?? undefined }
}

export async function databaseExists(name: string): Promise<boolean> {
  return (await adminQuery(testEnv().DEVPILOT_TEST_PG_URL, 'SELECT 1 FROM pg_database WHERE datname = $1', [name])).length === 1
}

/** Databases on cluster 1 named after the restore (its staging or old copies). */
export async function restoreLeftovers(restoreId: string): Promise<string[]> {
  const rows = await adminQuery<{ datname: string }>(testEnv().DEVPILOT_TEST_PG_URL, 'SELECT datname FROM pg_database WHERE datname LIKE $1', [
    `%${restoreShortId(restoreId)}%`,
  ])
  return rows.map((r) => r.datname)
}

/** A one-table source database on cluster 1 with extra setup, dumped in custom format into the destination, as a plan's backup. */
export async function customDumpOf(t: Teardown, h: Harness, at: { serverId: string; destination: { id: string; path: string } }, setup: string) {
  const source = await createEmptyDatabase(t, { prefix: 'trustsrc' })
  await psql(source.url, `CREATE TABLE items (id int PRIMARY KEY, v text); INSERT INTO items SELECT i, md5(i::text) FROM generate_series(1, 100) i; ${setup}`)
  const key = `${source.name}.dump`
  const file = join(at.destination.path, key)
  await pgDump(source.url, 'pg_custom', file)
  const planId = await h.databasePlan({ sourceServerId: at.serverId, sourceDatabase: source.name, destinationId: at.destination.id })
  const backupId = await h.backup({ planId, format: 'pg_custom', artifactKey: key, file })
  return { source, planId, backupId }
}
