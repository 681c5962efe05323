// PG_RESTORE_JOBS above 1: a pg_custom artifact is spooled (verified while spooling) to a 0600
// temporary file, restored with pg_restore -j, and the spool is removed afterwards.
import { mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import {
  createFixtureDatabase,
  createFixtureRoles,
  databaseUrl,
  dropDatabase,
  fingerprint,
  pgDump,
  scratchDir,
  testEnv,
  uniqueName,
} from '@devpilot/devenv/testing'
import t from 'tap'
import { createHarness } from './harness.js'

const env = testEnv()
const h = await createHarness(t)
const spoolDir = scratchDir(t, 'spool')
mkdirSync(spoolDir, { recursive: true })
await h.startRunner({ PG_RESTORE_JOBS: '3', RUNNER_TEMP_DIR: spoolDir })

t.test('pg_custom with PG_RESTORE_JOBS=3 restores through a spooled file, equal to the source, and removes the spool', async (t) => {
  const roles = await createFixtureRoles(env.DEVPILOT_TEST_PG_URL)
  const source = await createFixtureDatabase(env.DEVPILOT_TEST_PG_URL, roles)
  const target = uniqueName('parallel')
  t.teardown(async () => {
    await dropDatabase(env.DEVPILOT_TEST_PG_URL, source.name)
    await dropDatabase(env.DEVPILOT_TEST_PG_URL, target)
  })
  const destination = await h.localDestination()
  await pgDump(source.url, 'pg_custom', join(destination.path, 'app.dump'))
  const server = await h.server(env.DEVPILOT_TEST_PG_URL)
  const planId = await h.databasePlan({ sourceServerId: server, sourceDatabase: source.name, destinationId: destination.id })
  const backupId = await h.backup({ planId, format: 'pg_custom', artifactKey: 'app.dump', file: join(destination.path, 'app.dump') })
  const row = await h.waitTerminal(await h.restore({ backupId, planId, targetServerId: server, targetDatabase: target }))
  t.equal(row.status, 'completed', row.error_message ?? 'completed')
  t.same(await fingerprint(databaseUrl(env.DEVPILOT_TEST_PG_URL, target)), await fingerprint(source.url))
  t.same(readdirSync(spoolDir), [], 'the spool file was removed')
})
