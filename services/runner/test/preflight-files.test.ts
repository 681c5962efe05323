// Preflight of a file restore: the target on a real 1 MiB tmpfs (mounted by the test; the suite runs
// as root): an archive larger than its free space fails `disk_space` with preflight_failed and
// nothing written; one that fits passes, with every file check stored in order.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describeTree, makeTar, scratchDir, uniqueName } from '@devpilot/devenv/testing'
import { execa } from 'execa'
import t from 'tap'
import { createHarness } from './harness.js'
import { checkNamed, trustRecord } from './trust-kit.js'

const h = await createHarness(t)
await h.startRunner()
const destination = await h.localDestination()

t.test('disk_space: an archive larger than the free space of the target filesystem fails the check; one that fits passes', async (t) => {
  const mount = join(h.filesRoot, uniqueName('tiny'))
  mkdirSync(mount, { recursive: true })
  await execa('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mount])
  t.teardown(() => execa('umount', [mount], { reject: false }))
  const planId = await h.filesPlan({ sourcePath: mount, destinationId: destination.id })
  const big = scratchDir(t, 'pfbig')
  writeFileSync(join(big, 'large.bin'), Buffer.alloc(3 * 1024 * 1024, 7))
  await makeTar(big, 'tar', join(destination.path, 'large.tar'))
  const small = scratchDir(t, 'pfsmall')
  writeFileSync(join(small, 'note.txt'), 'fits\n')
  await makeTar(small, 'tar', join(destination.path, 'small.tar'))

  const target = join(mount, 'target')
  const tooBig = await h.backup({ planId, format: 'tar', artifactKey: 'large.tar', file: join(destination.path, 'large.tar') })
  const failed = await h.waitTerminal(await h.restore({ backupId: tooBig, planId, targetPath: target }))
  t.equal(failed.error_code, 'preflight_failed')
  t.match(failed.error_message, /disk_space: Extracting needs 3\.0 MiB/)
  t.same(describeTree(mount), {}, 'nothing was written')

  const fits = await h.backup({ planId, format: 'tar', artifactKey: 'small.tar', file: join(destination.path, 'small.tar') })
  const passed = await h.waitTerminal(await h.restore({ backupId: fits, planId, targetPath: target }))
  t.equal(passed.status, 'completed', passed.error_message ?? '')
  const checks = (await trustRecord(h, passed.id)).checks
  t.same(
    checks.map((c) => c.name),
    ['target_path', 'artifact_readable', 'archive_members', 'target_state', 'disk_space'],
  )
  t.equal(checkNamed(checks, 'disk_space')?.status, 'passed')
})
