// Every restore error code of a database restore, each produced by a real fault (a disabled or
// deleted destination, a deleted object, a wrong sha256, a corrupt dump, a wrong port or password,
// a non-empty target), and after each the existing target is unchanged, compared by content, and
// no staging database is left behind.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DeleteObjectCommand } from '@aws-sdk/client-s3'
import { freePort } from '@devpilot/devenv'
import {
  adminQuery,
  createEmptyDatabase,
  databaseUrl,
  dropDatabase,
  fingerprint,
  pgDump,
  psql,
  putObject,
  type Teardown,
  testEnv,
  uniqueName,
} from '@devpilot/devenv/testing'
import t from 'tap'
import { restoreShortId } from '../src/restore/short-id.js'
import { createHarness } from './harness.js'

const env = testEnv()
const h = await createHarness(t)
await h.startRunner()
const server1 = await h.server(env.DEVPILOT_TEST_PG_URL)
const local = await h.localDestination()
const s3 = await h.s3Destination({ prefix: 'nightly/db' })

// The backup: a small database, dumped in custom format, stored locally and in S3.
const sourceName = uniqueName('errsrc')
await adminQuery(env.DEVPILOT_TEST_PG_URL, `CREATE DATABASE "${sourceName}"`)
t.teardown(() => dropDatabase(env.DEVPILOT_TEST_PG_URL, sourceName))
await psql(
  databaseUrl(env.DEVPILOT_TEST_PG_URL, sourceName),
  `CREATE TABLE backed_up (id int PRIMARY KEY, v text); INSERT INTO backed_up SELECT i, md5(i::text) FROM generate_series(1, 2000) i;`,
)
const dumpFile = join(local.path, 'app.dump')
await pgDump(databaseUrl(env.DEVPILOT_TEST_PG_URL, sourceName), 'pg_custom', dumpFile)
await putObject(s3.client, s3.bucket, 'nightly/db/app.dump', readFileSync(dumpFile))

const localPlan = await h.databasePlan({ sourceServerId: server1, sourceDatabase: sourceName, destinationId: local.id })
const s3Plan = await h.databasePlan({ sourceServerId: server1, sourceDatabase: sourceName, destinationId: s3.id })

/** An existing target with its own content, which every failed restore must leave exactly as it was. */
async function victim(t: Teardown): Promise<{ name: string; url: string; before: Awaited<ReturnType<typeof fingerprint>> }> {
  const { name, url } = await createEmptyDatabase(t, { prefix: 'victim' })
  await psql(url, `CREATE TABLE precious (id int PRIMARY KEY, v text); INSERT INTO precious SELECT i, 'keep ' || i FROM generate_series(1, 50) i;`)
  return { name, url, before: await fingerprint(url) }
}

async function leftoverDatabases(restoreId: string): Promise<string[]> {
  const rows = await adminQuery<{ datname: string }>(env.DEVPILOT_TEST_PG_URL, 'SELECT datname FROM pg_database WHERE datname LIKE $1', [
    `%${restoreShortId(restoreId)}%`,
  ])
  return rows.map((r) => r.datname)
}

t.test('the S3 source restores a prefixed object and verifies its sha256 while streaming', async (t) => {
  const target = uniqueName('from_s3')
  t.teardown(() => dropDatabase(env.DEVPILOT_TEST_PG_URL, target))
  const backupId = await h.backup({ planId: s3Plan, format: 'pg_custom', artifactKey: 'app.dump', file: dumpFile })
  const row = await h.waitTerminal(await h.restore({ backupId, planId: s3Plan, targetServerId: server1, targetDatabase: target }))
  t.equal(row.status, 'completed', row.error_message ?? '')
  t.same(await fingerprint(databaseUrl(env.DEVPILOT_TEST_PG_URL, target)), await fingerprint(databaseUrl(env.DEVPILOT_TEST_PG_URL, sourceName)))
})

t.test('a disabled destination fails the pending restore with destination_unavailable without starting it', async (t) => {
  const target = await victim(t)
  const disabled = await h.localDestination({ enabled: false, path: local.path })
  const planId = await h.databasePlan({ sourceServerId: server1, sourceDatabase: sourceName, destinationId: disabled.id })
  const backupId = await h.backup({ planId, format: 'pg_custom', artifactKey: 'app.dump', file: dumpFile })
  const id = await h.restore({ backupId, planId, targetServerId: server1, targetDatabase: target.name, overwrite: true })
  const row = await h.waitTerminal(id)
  t.equal(row.error_code, 'destination_unavailable')
  t.match(row.error_message, /disabled/)
  t.ok(row.started_at && row.completed_at, 'both times are set')
  const steps = await h.db.sql<{ from_status: string | null; to_status: string }[]>`
    SELECT from_status, to_status FROM restore_transitions WHERE restore_id = ${id} ORDER BY id`
  t.same(
    steps.map((s) => `${s.from_status}->${s.to_status}`),
    ['null->pending', 'pending->failed'],
    'pending went straight to failed',
  )
  t.same(await fingerprint(target.url), target.before, 'the target is unchanged')
})

t.test('a soft-deleted destination fails the restore with destination_unavailable', async (t) => {
  const target = await victim(t)
  const gone = await h.localDestination({ path: local.path })
  const planId = await h.databasePlan({ sourceServerId: server1, sourceDatabase: sourceName, destinationId: gone.id })
  const backupId = await h.backup({ planId, format: 'pg_custom', artifactKey: 'app.dump', file: dumpFile })
  await h.db.sql`UPDATE destinations SET deleted_at = now() WHERE id = ${gone.id}`
  const row = await h.waitTerminal(await h.restore({ backupId, planId, targetServerId: server1, targetDatabase: target.name, overwrite: true }))
  t.equal(row.error_code, 'destination_unavailable')
  t.match(row.error_message, /deleted/)
  t.same(await fingerprint(target.url), target.before, 'the target is unchanged')
})

t.test('a deleted S3 object fails with artifact_missing and leaves the target unchanged', async (t) => {
  const target = await victim(t)
  await putObject(s3.client, s3.bucket, 'nightly/db/doomed.dump', readFileSync(dumpFile))
  const backupId = await h.backup({ planId: s3Plan, format: 'pg_custom', artifactKey: 'doomed.dump', file: dumpFile })
  await s3.client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: 'nightly/db/doomed.dump' }))
  const id = await h.restore({ backupId, planId: s3Plan, targetServerId: server1, targetDatabase: target.name, overwrite: true })
  const row = await h.waitTerminal(id)
  t.equal(row.error_code, 'artifact_missing')
  t.match(row.error_message, /doomed\.dump/)
  t.same(await fingerprint(target.url), target.before, 'the target is unchanged')
  t.same(await leftoverDatabases(id), [], 'no staging database is left')
})

t.test('a missing local file fails with artifact_missing', async (t) => {
  const target = await victim(t)
  const backupId = await h.backup({ planId: localPlan, format: 'pg_custom', artifactKey: 'never-written.dump' })
  const row = await h.waitTerminal(await h.restore({ backupId, planId: localPlan, targetServerId: server1, targetDatabase: target.name, overwrite: true }))
  t.equal(row.error_code, 'artifact_missing')
  t.same(await fingerprint(target.url), target.before, 'the target is unchanged')
})

t.test('a wrong sha256 fails with checksum_mismatch after the whole stream and leaves the target unchanged', async (t) => {
  const target = await victim(t)
  const backupId = await h.backup({ planId: s3Plan, format: 'pg_custom', artifactKey: 'app.dump', file: dumpFile, sha256: 'f'.repeat(64) })
  const id = await h.restore({ backupId, planId: s3Plan, targetServerId: server1, targetDatabase: target.name, overwrite: true })
  const row = await h.waitTerminal(id)
  t.equal(row.error_code, 'checksum_mismatch')
  t.match(row.error_message, /sha256/)
  t.same(await fingerprint(target.url), target.before, 'the target is unchanged although pg_restore itself succeeded')
  t.same(await leftoverDatabases(id), [], 'the staging database was dropped')
})

t.test('a corrupt dump fails with restore_tool_failed and leaves the target unchanged', async (t) => {
  const target = await victim(t)
  const bytes = readFileSync(dumpFile)
  const corrupt = Buffer.concat([bytes.subarray(0, Math.floor(bytes.length / 2)), Buffer.alloc(4096, 0x5a)])
  writeFileSync(join(local.path, 'corrupt.dump'), corrupt)
  const backupId = await h.backup({ planId: localPlan, format: 'pg_custom', artifactKey: 'corrupt.dump', sha256: null })
  const id = await h.restore({ backupId, planId: localPlan, targetServerId: server1, targetDatabase: target.name, overwrite: true })
  const row = await h.waitTerminal(id)
  t.equal(row.error_code, 'restore_tool_failed')
  t.match(row.error_message, /pg_restore/)
  t.same(await fingerprint(target.url), target.before, 'the target is unchanged')
  t.same(await leftoverDatabases(id), [], 'the staging database was dropped')
})

t.test('a wrong port fails with target_unreachable', async (t) => {
  const target = await victim(t)
  const nowhere = await h.server(env.DEVPILOT_TEST_PG_URL, { port: await freePort() })
  const backupId = await h.backup({ planId: localPlan, format: 'pg_custom', artifactKey: 'app.dump', file: dumpFile })
  const row = await h.waitTerminal(await h.restore({ backupId, planId: localPlan, targetServerId: nowhere, targetDatabase: target.name, overwrite: true }))
  t.equal(row.error_code, 'target_unreachable')
  t.match(row.error_message, /Could not connect/)
  t.same(await fingerprint(target.url), target.before, 'the target is unchanged')
})

t.test('a wrong password fails with target_unreachable and the password appears nowhere in the message', async (t) => {
  const target = await victim(t)
  const password = 'Wr0ng-Pa55word-that-must-not-leak'
  const wrong = await h.server(env.DEVPILOT_TEST_PG_URL, { password })
  const backupId = await h.backup({ planId: localPlan, format: 'pg_custom', artifactKey: 'app.dump', file: dumpFile })
  const row = await h.waitTerminal(await h.restore({ backupId, planId: localPlan, targetServerId: wrong, targetDatabase: target.name, overwrite: true }))
  t.equal(row.error_code, 'target_unreachable')
  t.match(row.error_message, /password authentication failed/)
  t.notMatch(row.error_message ?? '', password)
  t.same(await fingerprint(target.url), target.before, 'the target is unchanged')
})

t.test('overwrite off refuses a non-empty target with target_not_empty and leaves it unchanged', async (t) => {
  const target = await victim(t)
  const backupId = await h.backup({ planId: localPlan, format: 'pg_custom', artifactKey: 'app.dump', file: dumpFile })
  const row = await h.waitTerminal(await h.restore({ backupId, planId: localPlan, targetServerId: server1, targetDatabase: target.name }))
  t.equal(row.error_code, 'target_not_empty')
  t.match(row.error_message, /public\.precious/)
  t.same(await fingerprint(target.url), target.before, 'the target is unchanged')
})

t.test('overwrite off restores into an existing but empty database', async (t) => {
  const name = uniqueName('empty')
  await adminQuery(env.DEVPILOT_TEST_PG_URL, `CREATE DATABASE "${name}"`)
  t.teardown(() => dropDatabase(env.DEVPILOT_TEST_PG_URL, name))
  const backupId = await h.backup({ planId: localPlan, format: 'pg_custom', artifactKey: 'app.dump', file: dumpFile })
  const row = await h.waitTerminal(await h.restore({ backupId, planId: localPlan, targetServerId: server1, targetDatabase: name }))
  t.equal(row.status, 'completed', row.error_message ?? '')
  t.same(await fingerprint(databaseUrl(env.DEVPILOT_TEST_PG_URL, name)), await fingerprint(databaseUrl(env.DEVPILOT_TEST_PG_URL, sourceName)))
})
