// PG_RESTORE_JOBS above 1: an S3 pg_custom artifact is spooled (verified while spooling) to a 0600
// temporary file, restored with pg_restore -j, and the spool is removed afterwards. A local artifact
// is already a seekable file: pg_restore -j reads it directly while the runner verifies its sha256,
// so it needs no spool at all (a second runner here has a spool directory that does not exist).
import { appendFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  adminQuery,
  createFixtureDatabase,
  createFixtureRoles,
  databaseUrl,
  dropDatabase,
  fingerprint,
  pgDump,
  putObject,
  scratchDir,
  type Teardown,
  testEnv,
  uniqueName,
} from '@devpilot/devenv/testing'
import t from 'tap'
import { createHarness } from './harness.js'

const env = testEnv()
const h = await createHarness(t)
const spoolDir = scratchDir(t, 'spool')
mkdirSync(spoolDir, { recursive: true })
const spooling = await h.startRunner({ PG_RESTORE_JOBS: '3', RUNNER_TEMP_DIR: spoolDir })

const roles = await createFixtureRoles(env.DEVPILOT_TEST_PG_URL)
const source = await createFixtureDatabase(env.DEVPILOT_TEST_PG_URL, roles)
t.teardown(() => dropDatabase(env.DEVPILOT_TEST_PG_URL, source.name))
const server = await h.server(env.DEVPILOT_TEST_PG_URL)
const local = await h.localDestination()
const dumpFile = join(local.path, 'app.dump')
await pgDump(source.url, 'pg_custom', dumpFile)
const localPlan = await h.databasePlan({ sourceServerId: server, sourceDatabase: source.name, destinationId: local.id })

async function restoreInto(t: Teardown, planId: string, backupId: string) {
  const target = uniqueName('parallel')
  t.teardown(() => dropDatabase(env.DEVPILOT_TEST_PG_URL, target))
  return { target, row: await h.waitTerminal(await h.restore({ backupId, planId, targetServerId: server, targetDatabase: target })) }
}

t.test('an S3 pg_custom with PG_RESTORE_JOBS=3 restores through a spooled file, equal to the source, and removes the spool', async (t) => {
  const s3 = await h.s3Destination()
  await putObject(s3.client, s3.bucket, 'app.dump', readFileSync(dumpFile))
  const planId = await h.databasePlan({ sourceServerId: server, sourceDatabase: source.name, destinationId: s3.id })
  const backupId = await h.backup({ planId, format: 'pg_custom', artifactKey: 'app.dump', file: dumpFile })
  const { target, row } = await restoreInto(t, planId, backupId)
  t.equal(row.status, 'completed', row.error_message ?? 'completed')
  t.same(await fingerprint(databaseUrl(env.DEVPILOT_TEST_PG_URL, target)), await fingerprint(source.url))
  t.same(readdirSync(spoolDir), [], 'the spool file was removed')
})

t.test('a local pg_custom with PG_RESTORE_JOBS=3 restores without any spool, equal to the source', async (t) => {
  // Stopping the first runner leaves only this one, whose spool directory does not exist.
  await spooling.stop()
  await h.startRunner({ PG_RESTORE_JOBS: '3', RUNNER_TEMP_DIR: join(spoolDir, 'missing') })
  const backupId = await h.backup({ planId: localPlan, format: 'pg_custom', artifactKey: 'app.dump', file: dumpFile })
  const { target, row } = await restoreInto(t, localPlan, backupId)
  t.equal(row.status, 'completed', row.error_message ?? 'completed')
  t.same(await fingerprint(databaseUrl(env.DEVPILOT_TEST_PG_URL, target)), await fingerprint(source.url))
})

t.test('a local artifact whose sha256 does not match fails with checksum_mismatch though pg_restore -j succeeded; no database is left', async (t) => {
  const backupId = await h.backup({ planId: localPlan, format: 'pg_custom', artifactKey: 'app.dump', file: dumpFile, sha256: 'f'.repeat(64) })
  const { target, row } = await restoreInto(t, localPlan, backupId)
  t.equal(row.error_code, 'checksum_mismatch', row.error_message ?? '')
  const left = await adminQuery(env.DEVPILOT_TEST_PG_URL, 'SELECT datname FROM pg_database WHERE datname LIKE $1', [`${target}%`])
  t.same(left, [], 'neither the target nor a staging database exists')
})

t.test('a local artifact that grows after it was opened fails with checksum_mismatch', async (t) => {
  const { artifactFile } = await import('../src/sources/artifact-file.js')
  const { open } = await import('node:fs/promises')
  const copy = join(local.path, 'growing.dump')
  appendFileSync(copy, readFileSync(dumpFile))
  const hashed = await open(copy, 'r')
  t.teardown(() => hashed.close())
  const file = artifactFile(copy, await hashed.stat({ bigint: true }), copy)
  const forTool = await file.openForTool()
  t.teardown(() => forTool.close())
  await forTool.assertUnchanged()
  appendFileSync(copy, 'x')
  await t.rejects(forTool.assertUnchanged(), { code: 'checksum_mismatch' })
})
