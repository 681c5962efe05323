// Preflight checks `roles` and `extensions` against a real target server, each both ways: a dump
// owned by (and granting to) roles the target has, then lacks; a dump creating an extension the
// target can install, then cannot (its control file removed from the server after the dump). A
// failed check fails the restore with preflight_failed naming it and what is missing, before any
// database is created.
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { adminQuery, testEnv, uniqueName } from '@devpilot/devenv/testing'
import { execa } from 'execa'
import t from 'tap'
import { createHarness } from './harness.js'
import { checkNamed, customDumpOf, databaseExists, restoreLeftovers, trustRecord } from './trust-kit.js'

const env = testEnv()
const h = await createHarness(t)
await h.startRunner()
const server1 = await h.server(env.DEVPILOT_TEST_PG_URL)
const destination = await h.localDestination()
const at = { serverId: server1, destination }

t.test('roles: a dump owned by and granting to roles the target has passes; once they are gone it fails naming them, nothing created', async (t) => {
  const owner = uniqueName('pf_owner')
  const reader = uniqueName('pf_reader')
  await adminQuery(env.DEVPILOT_TEST_PG_URL, `CREATE ROLE ${owner}`)
  await adminQuery(env.DEVPILOT_TEST_PG_URL, `CREATE ROLE ${reader}`)
  t.teardown(async () => {
    await adminQuery(env.DEVPILOT_TEST_PG_URL, `DROP ROLE IF EXISTS ${owner}`)
    await adminQuery(env.DEVPILOT_TEST_PG_URL, `DROP ROLE IF EXISTS ${reader}`)
  })
  const { planId, backupId, source } = await customDumpOf(t, h, at, `ALTER TABLE items OWNER TO ${owner}; GRANT SELECT ON items TO ${reader};`)

  const ok = uniqueName('pfroles')
  t.teardown(() => adminQuery(env.DEVPILOT_TEST_PG_URL, `DROP DATABASE IF EXISTS ${ok}`))
  const passed = await h.waitTerminal(await h.restore({ backupId, planId, targetServerId: server1, targetDatabase: ok }))
  t.equal(passed.status, 'completed', passed.error_message ?? '')
  const okChecks = (await trustRecord(h, passed.id)).checks
  t.equal(checkNamed(okChecks, 'roles')?.status, 'passed')
  t.match(checkNamed(okChecks, 'roles')?.message, owner)

  // The roles disappear from the server (the source database goes with the owner's objects).
  for (const statement of [`DROP DATABASE ${source.name} WITH (FORCE)`, `DROP DATABASE ${ok} WITH (FORCE)`, `DROP ROLE ${owner}`, `DROP ROLE ${reader}`])
    await adminQuery(env.DEVPILOT_TEST_PG_URL, statement)
  const missing = uniqueName('pfnoroles')
  const failed = await h.waitTerminal(await h.restore({ backupId, planId, targetServerId: server1, targetDatabase: missing }))
  t.equal(failed.error_code, 'preflight_failed')
  t.match(failed.error_message, /roles:/)
  t.match(failed.error_message, owner)
  t.match(failed.error_message, reader)
  const checks = (await trustRecord(h, failed.id)).checks
  t.equal(checkNamed(checks, 'roles')?.status, 'failed')
  t.notOk(await databaseExists(missing), 'the target database was not created')
  t.same(await restoreLeftovers(failed.id), [], 'no staging database was created')
})

t.test('extensions: one the target can install passes; one whose control file is gone fails naming it', async (t) => {
  const { stdout: sharedir } = await execa('pg_config', ['--sharedir'])
  const ext = uniqueName('pfext').toLowerCase()
  const control = join(sharedir, 'extension', `${ext}.control`)
  const script = join(sharedir, 'extension', `${ext}--1.0.sql`)
  writeFileSync(control, "default_version = '1.0'\nrelocatable = true\n")
  writeFileSync(script, `CREATE FUNCTION ${ext}_answer() RETURNS int LANGUAGE sql AS 'SELECT 42';\n`)
  t.teardown(() => {
    rmSync(control, { force: true })
    rmSync(script, { force: true })
  })
  const { planId, backupId } = await customDumpOf(t, h, at, `CREATE EXTENSION ${ext};`)
  const ok = uniqueName('pfext_ok')
  t.teardown(() => adminQuery(env.DEVPILOT_TEST_PG_URL, `DROP DATABASE IF EXISTS ${ok}`))
  const passed = await h.waitTerminal(await h.restore({ backupId, planId, targetServerId: server1, targetDatabase: ok }))
  t.equal(passed.status, 'completed', passed.error_message ?? '')
  t.equal(checkNamed((await trustRecord(h, passed.id)).checks, 'extensions')?.status, 'passed')

  rmSync(control)
  rmSync(script)
  const missing = uniqueName('pfext_missing')
  const failed = await h.waitTerminal(await h.restore({ backupId, planId, targetServerId: server1, targetDatabase: missing }))
  t.equal(failed.error_code, 'preflight_failed')
  t.match(failed.error_message, new RegExp(`extensions:.*${ext}`))
  t.equal(checkNamed((await trustRecord(h, failed.id)).checks, 'extensions')?.status, 'failed')
  t.notOk(await databaseExists(missing), 'the target database was not created')
})
