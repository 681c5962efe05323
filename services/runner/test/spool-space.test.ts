// A spool that runs out of room: PG_RESTORE_JOBS=2 spools an S3 artifact to RUNNER_TEMP_DIR (a
// local one needs no spool: pg_restore -j reads its file), here a real 1 MiB tmpfs (mounted by the test; the suite runs as root, as CI does). A 3 MiB dump is
// refused before the download (the artifact's size is known from the destination, whether or not
// the backup record states it): insufficient_space naming the directory and both figures, the
// existing target unchanged, and no spool left. A spool left by a runner that is gone (a dead
// pid in its name) is removed by the next sweep. A disk that fills up in the middle of the spool
// (another writer takes the room the check saw) ends the same way, with the bytes written by then:
// the artifact comes from S3 through a proxy that holds the download after its first 64 KiB, the
// test fills the tmpfs, then lets the download go on into a real ENOSPC.
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { insertDestination } from '@devpilot/db'
import {
  createEmptyDatabase,
  createTestBucket,
  fingerprint,
  holdingProxy,
  pgDump,
  psql,
  scratchDir,
  type Teardown,
  testEnv,
  uploadFile,
  waitFor,
} from '@devpilot/devenv/testing'
import { execa } from 'execa'
import t from 'tap'
import { createHarness } from './harness.js'

const env = testEnv()
const h = await createHarness(t)
const spoolDir = scratchDir(t, 'tiny-spool')
mkdirSync(spoolDir, { recursive: true })
/** A real tmpfs of `size` mounted on `dir`, unmounted before `dir` is removed. */
async function tmpfs(tap: Teardown, dir: string, size: string): Promise<void> {
  await execa('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir])
  tap.teardown(async () => {
    await execa('umount', [dir], { reject: false })
    rmSync(dir, { recursive: true, force: true })
  })
}
await tmpfs(t, spoolDir, '1m')
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

/** Writes into `dir` until its filesystem has no byte left (ENOSPC), as another process would. */
function fillUp(dir: string): void {
  const fd = openSync(join(dir, 'filler'), 'w')
  try {
    for (const size of [1024 * 1024, 4096, 1]) {
      const block = Buffer.alloc(size, 1)
      try {
        for (;;) writeSync(fd, block)
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'ENOSPC') throw error
      }
    }
  } finally {
    closeSync(fd)
  }
}

t.test('a spool disk that fills up mid-stream fails with insufficient_space and the bytes written, target unchanged, nothing left', async (t) => {
  await worker.stop() // this test's runner has room for the artifact at the check
  const roomyDir = mkdtempSync(join(env.DEVPILOT_TEST_SCRATCH_DIR, 'filling-spool-'))
  await tmpfs(t, roomyDir, '8m')
  await h.startRunner({ PG_RESTORE_JOBS: '2', RUNNER_TEMP_DIR: roomyDir })
  const bucket = await createTestBucket(t)
  await bucket.upload('big.dump', file)
  const proxy = await holdingProxy(t, bucket.endpoint)
  const s3 = await insertDestination(h.db.db, h.box, {
    workspaceId: h.ws.workspaceId,
    name: bucket.name,
    type: 's3',
    bucket: bucket.name,
    region: bucket.region,
    endpoint: proxy.url,
    forcePathStyle: true,
    prefix: null,
    accessKeyId: bucket.accessKeyId,
    secretAccessKey: bucket.secretAccessKey,
  })
  const s3Plan = await h.databasePlan({ sourceServerId: server, sourceDatabase: source.name, destinationId: s3.id })
  const backupId = await h.backup({ planId: s3Plan, format: 'pg_custom', artifactKey: 'big.dump', file })
  const target = await createEmptyDatabase(t, { prefix: 'spooltarget' })
  await psql(target.url, 'CREATE TABLE precious (id int); INSERT INTO precious VALUES (1), (2);')
  const before = await fingerprint(target.url)

  // The preflight reads the artifact through the proxy before the spool starts (measured: more than
  // 1 MiB of this uncompressed 3 MiB dump), so the budget covers one whole read, then 64 KiB of the spool's.
  proxy.holdAfter(statSync(file).size + 64 * 1024)
  const id = await h.restore({ backupId, planId: s3Plan, targetServerId: server, targetDatabase: target.name, overwrite: true })
  await waitFor(
    () => readdirSync(roomyDir).some((d) => d.startsWith('devpilot-restore-spool-') && readdirSync(join(roomyDir, d)).includes('artifact.dump')),
    (spooling) => spooling,
    { what: 'the runner to be spooling (past the room check)' },
  )
  fillUp(roomyDir)
  proxy.release()
  const row = await h.waitTerminal(id)
  t.equal(row.status, 'failed')
  t.equal(row.error_code, 'insufficient_space', row.error_message ?? '')
  t.match(row.error_message, roomyDir, 'the message names the spool directory')
  t.match(row.error_message, /ran out of room after \d+ bytes were written: the artifact needs \d{7} bytes; \d+ bytes are free/, 'and the bytes')
  t.same(await fingerprint(target.url), before, 'the target is unchanged')
  t.same(readdirSync(roomyDir), ['filler'], 'no spool is left')
  rmSync(join(roomyDir, 'filler'))
})
