// A database restore that stays mid-flight on demand, for the fault tests: its plain-SQL artifact
// first waits (at most 60 s) while a "gate" database exists, so a test can kill, stop or cut off
// the runner at a known point and then let the restore go on by dropping the gate. The target
// cluster is the main test cluster unless `cluster` gives another one's URL (the gate lives there too).
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { adminQuery, createEmptyDatabase, fingerprint, pgDump, psql, type Teardown, testEnv } from '@devpilot/devenv/testing'
import { restoreShortId } from '../src/restore/short-id.js'
import type { Harness } from './harness.js'

export async function slowRestoreKit(
  tap: Teardown,
  h: Harness,
  serverId: string,
  destination: { id: string; path: string },
  options: { cluster?: () => string } = {},
) {
  const env = testEnv()
  const cluster = options.cluster ?? (() => env.DEVPILOT_TEST_PG_URL)
  const { name: sourceName, url: sourceUrl } = await createEmptyDatabase(tap, { prefix: 'crashsrc' })
  await psql(sourceUrl, 'CREATE TABLE restored (id int PRIMARY KEY, v text); INSERT INTO restored SELECT i, md5(i::text) FROM generate_series(1, 1000) i;')
  const expected = await fingerprint(sourceUrl)

  /** A plain dump that waits while the gate database exists. */
  async function slowBackup(gate: string): Promise<{ planId: string; backupId: string }> {
    const key = `${gate}.sql`
    const file = join(destination.path, key)
    await pgDump(sourceUrl, 'pg_plain', file)
    const wait = `DO $$ BEGIN FOR i IN 1..600 LOOP EXIT WHEN NOT EXISTS (SELECT 1 FROM pg_catalog.pg_database WHERE datname = '${gate}'); PERFORM pg_catalog.pg_sleep(0.1); END LOOP; END $$;`
    writeFileSync(file, `${wait}\n${readFileSync(file, 'utf8')}`)
    const planId = await h.databasePlan({ sourceServerId: serverId, sourceDatabase: sourceName, destinationId: destination.id })
    return { planId, backupId: await h.backup({ planId, format: 'pg_plain', artifactKey: key, file }) }
  }

  /** A target database holding data that must survive a failed restore. */
  async function victim(t: Teardown) {
    const { name, url } = await createEmptyDatabase(t, { cluster: cluster(), prefix: 'crashvictim' })
    await psql(url, 'CREATE TABLE precious (id int); INSERT INTO precious VALUES (1), (2), (3);')
    return { name, url, before: await fingerprint(url) }
  }

  async function stagingDatabases(restoreId: string): Promise<string[]> {
    const rows = await adminQuery<{ datname: string }>(cluster(), 'SELECT datname FROM pg_database WHERE datname LIKE $1', [`%${restoreShortId(restoreId)}%`])
    return rows.map((r) => r.datname)
  }

  async function gate(t: Teardown): Promise<string> {
    return (await createEmptyDatabase(t, { cluster: cluster(), prefix: 'gate' })).name
  }

  return { expected, slowBackup, victim, stagingDatabases, gate }
}
