// Previews that need no dump catalog: a dry run never waits for the target (it completes while a
// real restore of the same target runs, which shows stage `restore`), and a file preview lists the
// members creating and replacing paths, then the restore does exactly that and other files stay.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { PreviewItem } from '@devpilot/contracts'
import { describeTree, dropDatabase, makeTar, scratchDir, testEnv, waitFor } from '@devpilot/devenv/testing'
import t from 'tap'
import { createHarness } from './harness.js'
import { slowRestoreKit } from './slow-restore.js'
import { trustRecord } from './trust-kit.js'

const env = testEnv()
const h = await createHarness(t)
await h.startRunner()
const server1 = await h.server(env.DEVPILOT_TEST_PG_URL)
const destination = await h.localDestination()
const names = (items: PreviewItem[], action: PreviewItem['action']) =>
  items
    .filter((i) => i.action === action)
    .map((i) => `${i.kind} ${i.name}`)
    .sort()

t.test('a dry run never waits for the target: it completes while a real restore of the same target runs (stage restore)', async (t) => {
  const kit = await slowRestoreKit(t, h, server1, destination)
  const target = await kit.victim(t)
  const gate = await kit.gate(t)
  const slow = await kit.slowBackup(gate)
  const real = await h.restore({ ...slow, targetServerId: server1, targetDatabase: target.name, overwrite: true })
  await waitFor(
    () => trustRecord(h, real),
    (r) => r.stage === 'restore',
    { what: 'the real restore to be in its restore stage' },
  )
  const dry = await h.waitTerminal(await h.restore({ ...slow, targetServerId: server1, targetDatabase: target.name, overwrite: true, dryRun: true }))
  t.equal(dry.status, 'completed', dry.error_message ?? '')
  t.equal((await h.row(real)).status, 'in_progress', 'the real restore still runs')
  t.equal((await trustRecord(h, dry.id)).preview?.changes, null, 'a plain-SQL dump has no change list')
  await dropDatabase(env.DEVPILOT_TEST_PG_URL, gate)
  t.equal((await h.waitTerminal(real)).status, 'completed')
})

t.test('a file preview lists members creating and replacing paths; the restore then does exactly that, other files stay', async (t) => {
  const tree = scratchDir(t, 'pvtree')
  mkdirSync(join(tree, 'sub'))
  writeFileSync(join(tree, 'a.txt'), 'archived a\n')
  writeFileSync(join(tree, 'sub', 'b.txt'), 'archived b\n')
  writeFileSync(join(tree, 'sub', 'c.txt'), 'archived c\n')
  await makeTar(tree, 'tar_gz', join(destination.path, 'pvtree.tar.gz'))
  const filesPlan = await h.filesPlan({ sourcePath: join(h.filesRoot, 'pv'), destinationId: destination.id })
  const files = await h.backup({ planId: filesPlan, format: 'tar_gz', artifactKey: 'pvtree.tar.gz', file: join(destination.path, 'pvtree.tar.gz') })
  const target = join(h.filesRoot, 'pvtarget')
  mkdirSync(target)
  writeFileSync(join(target, 'a.txt'), 'live a\n')
  writeFileSync(join(target, 'z.txt'), 'live z\n')
  const before = describeTree(target)

  const dry = await h.waitTerminal(await h.restore({ backupId: files, planId: filesPlan, targetPath: target, overwrite: true, dryRun: true }))
  t.equal(dry.status, 'completed', dry.error_message ?? '')
  const { preview } = await trustRecord(h, dry.id)
  if (!preview?.changes) throw new Error('no change list')
  t.same(names(preview.changes.items, 'create'), ['dir sub', 'file sub/b.txt', 'file sub/c.txt'])
  t.same(names(preview.changes.items, 'replace'), ['file a.txt'])
  t.equal(preview.changes.drop, 0)
  t.equal(preview.bytesNeeded, 33, 'the extracted size of the members')
  t.same(describeTree(target), before, 'the dry run left the tree as it was')

  const real = await h.waitTerminal(await h.restore({ backupId: files, planId: filesPlan, targetPath: target, overwrite: true }))
  t.equal(real.status, 'completed', real.error_message ?? '')
  const after = describeTree(target)
  t.same(Object.keys(after).sort(), ['a.txt', 'sub', 'sub/b.txt', 'sub/c.txt', 'z.txt'], 'created what was listed; z.txt stays')
  t.equal(after['z.txt'], before['z.txt'])
  t.not(after['a.txt'], before['a.txt'], 'a.txt was replaced')
})
