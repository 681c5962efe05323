// A spool that runs out of room: PG_RESTORE_JOBS=2 spools an S3 artifact to RUNNER_TEMP_DIR (a
// local one needs no spool: pg_restore -j reads its file), here a real 1 MiB tmpfs (mounted by the test; the suite runs as root, as CI does). A 3 MiB dump is
// refused before the download (the artifact's size is known from the destination, whether or not
// the backup record states it): insufficient_space naming the directory and both figures, the
// existing target unchanged, and no spool left. A spool left by a runner that is gone (a dead
// pid in its name) is removed by the next sweep.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createEmptyDatabase, fingerprint, pgDump, psql, scratchDir, testEnv, uploadFile } from '@devpilot/devenv/testing'
import { execa } from 'execa'
import t from 'tap'
import { createHarness } from './harness.js'

const env = testEnv()
const h = await createHarness(t)
const spoolDir = scratchDir(t, 'tiny-spool')
mkdirSync(spoolDir, { recursive: true })
await execa('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', spoolDir])
t.teardown(() => execa('umount', [spoolDir], { reject: false }))
const worker = await h.startRunner({ PG_RESTORE_JOBS: '2', RUNNER_TEMP_DIR: spoolDir })

const source = await createEmptyDatabase(t, { prefix: 'spoolsrc' })
await psql(
  source.url,
  'CREATE TABLE big (id int PRIMARY KEY, v text); INSERT INTO big SELECT i, md5(i::text) || md5((i * 7)::text) FROM generate_series(1, 40000) i;',
)
const destination = await h.s3Destination()
const file = join(scratchDir(t, 'dump'), 'big.dump')
await pgDump(source.url, 'pg_custom', file, ['--compress=0'])
await uploadFile(destination.client, destination.bucket, 'big.dump', file)
const server = await h.server(env.DEVPILOT_TEST_PG_URL)
const planId = await h.databasePlan({ sourceServerId: server, sourceDatabase: source.name, destinationId: destination.id })

for (const recorded of [false, true]) {
  t.test(
    `a spool that does not fit (size ${recorded ? 'on the backup record' : 'from the destination only'}) fails with insufficient_space, target unchanged, nothing left`,
    async (t) => {
      const backupId = await h.backup({ planId, format: 'pg_custom', artifactKey: 'big.dump', ...(recorded ? { file } : {}) })
      const target = await createEmptyDatabase(t, { prefix: 'spooltarget' })
      await psql(target.url, 'CREATE TABLE precious (id int); INSERT INTO precious VALUES (1), (2);')
      const before = await fingerprint(target.url)
      const row = await h.waitTerminal(await h.restore({ backupId, planId, targetServerId: server, targetDatabase: target.name, overwrite: true }))
      t.equal(row.status, 'failed')
      t.equal(row.error_code, 'insufficient_space', row.error_message ?? '')
      t.match(row.error_message, spoolDir, 'the message names the spool directory')
      t.match(row.error_message, /needs \d{7} bytes; 1048576 bytes are free/, 'and the bytes needed and free')
      t.same(await fingerprint(target.url), before, 'the target is unchanged')
      t.same(readdirSync(spoolDir), [], 'no spool is left')
    },
  )
}

t.test('the sweep removes the spool of a runner that is gone', async (t) => {
  const orphan = join(spoolDir, 'devpilot-restore-spool-999999999-abc123')
  mkdirSync(orphan)
  writeFileSync(join(orphan, 'artifact.dump'), 'partial')
  await worker.sweepNow()
  t.same(readdirSync(spoolDir), [], 'the dead runner’s spool is gone')
})
