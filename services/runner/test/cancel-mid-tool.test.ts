// Cancel with two real runner processes, continued (cancel.test.ts has the shared setup's story):
// mid-pg_restore (a custom dump held in its index build by a gate database) and mid-extraction of
// a large archive; each ends failed/cancelled with the target unchanged and no staging left.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { adminQuery, createEmptyDatabase, describeTree, dropDatabase, fingerprint, makeTar, pgDump, psql, scratchDir, waitFor } from '@devpilot/devenv/testing'
import t from 'tap'
import { restoreShortId } from '../src/restore/short-id.js'
import { createCancelKit } from './cancel-kit.js'
import { databaseOids } from './trust-kit.js'

const { env, h, server1, destination, kit, cancelAndWait } = await createCancelKit(t)

t.test('mid-pg_restore: a custom dump held in its index build is cancelled the same way', async (t) => {
  const source = await createEmptyDatabase(t, { prefix: 'cancelsrc' })
  const gate = await kit.gate(t)
  // The index expression waits while the gate database exists; it is created after the source's index.
  await dropDatabase(env.DEVPILOT_TEST_PG_URL, gate)
  await psql(
    source.url,
    `CREATE FUNCTION public.gate_wait(n int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$
       BEGIN FOR i IN 1..600 LOOP EXIT WHEN NOT EXISTS (SELECT 1 FROM pg_catalog.pg_database WHERE datname = '${gate}'); PERFORM pg_catalog.pg_sleep(0.1); END LOOP; RETURN n; END $$;
     CREATE TABLE held (id int); INSERT INTO held VALUES (1); CREATE INDEX held_gate ON held ((public.gate_wait(id)));`,
  )
  const key = `${source.name}.dump`
  await pgDump(source.url, 'pg_custom', join(destination.path, key))
  await adminQuery(env.DEVPILOT_TEST_PG_URL, `CREATE DATABASE "${gate}"`)
  const planId = await h.databasePlan({ sourceServerId: server1, sourceDatabase: source.name, destinationId: destination.id })
  const backupId = await h.backup({ planId, format: 'pg_custom', artifactKey: key, file: join(destination.path, key) })
  const target = await kit.victim(t)
  const before = await databaseOids(target.url, target.name)
  const id = await h.restore({ backupId, planId, targetServerId: server1, targetDatabase: target.name, overwrite: true })
  await waitFor(
    () => adminQuery<{ n: number }>(env.DEVPILOT_TEST_PG_URL, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'CREATE INDEX held_gate%'"),
    (rows) => (rows[0]?.n ?? 0) === 1,
    { what: 'pg_restore to be building the held index in staging' },
  )
  await cancelAndWait(t, id)
  t.same(await fingerprint(target.url), target.before, 'the target content is unchanged')
  t.same(await databaseOids(target.url, target.name), before, 'the target database and its tables are the same objects')
  t.same(await kit.stagingDatabases(id), [], 'no staging database is left')
  await dropDatabase(env.DEVPILOT_TEST_PG_URL, gate)
})

t.test('mid-extraction: a file restore stops, its staging directory is removed, and the tree is unchanged', async (t) => {
  const tree = scratchDir(t, 'cancelbig')
  // 256 MiB of zeros: a small tar.gz whose extraction takes long enough to be caught in the middle.
  const zeros = Buffer.alloc(64 * 1024 * 1024)
  for (let i = 0; i < 4; i++) writeFileSync(join(tree, `zeros-${i}.bin`), zeros)
  await makeTar(tree, 'tar_gz', join(destination.path, 'zeros.tar.gz'))
  const planId = await h.filesPlan({ sourcePath: join(h.filesRoot, 'zeros'), destinationId: destination.id })
  const backupId = await h.backup({ planId, format: 'tar_gz', artifactKey: 'zeros.tar.gz', file: join(destination.path, 'zeros.tar.gz') })
  const target = join(h.filesRoot, 'cancel-target')
  mkdirSync(target)
  writeFileSync(join(target, 'precious.txt'), 'keep me\n')
  const before = describeTree(target)
  const id = await h.restore({ backupId, planId, targetPath: target, overwrite: true })
  const staging = () => readdirSync(dirname(target)).filter((n) => n.includes(restoreShortId(id)))
  await waitFor(
    async () => staging(),
    (names) => names.length > 0,
    // The preflight pass reads the whole archive first (through gunzip and the member guard): slow on a loaded machine.
    { what: 'tar to be extracting into staging', intervalMs: 20, timeoutMs: 300_000 },
  )
  await cancelAndWait(t, id)
  t.same(describeTree(target), before, 'the target tree is unchanged')
  t.same(staging(), [], 'no staging directory is left')
})
