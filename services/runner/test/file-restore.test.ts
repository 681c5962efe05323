// File restores through the real runner and GNU tar: round trips for tar and tar_gz (empty dirs,
// modes, unicode names, in-tree symlinks), overwrite semantics, and failures that must leave the
// target exactly as it was (compared entry by entry), a target disk that fills up mid-extraction included.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { FILE_BACKUP_FORMATS } from '@devpilot/contracts'
import { buildTree, describeTree, makeTar, scratchDir, waitFor } from '@devpilot/devenv/testing'
import { execa } from 'execa'
import t from 'tap'
import { createHarness } from './harness.js'

const h = await createHarness(t)
await h.startRunner()
const destination = await h.localDestination()

const source = join(scratchDir(t, 'tree'), 'src')
mkdirSync(source)
buildTree(source)
const expected = describeTree(source)
expected['setuid-tool'] = expected['setuid-tool']?.replace(/^file 4755/, 'file 755') ?? ''

const planId = await h.filesPlan({ sourcePath: source, destinationId: destination.id })
const backups: Record<string, string> = {}
for (const format of FILE_BACKUP_FORMATS) {
  const key = `tree.${format === 'tar' ? 'tar' : 'tar.gz'}`
  await makeTar(source, format, join(destination.path, key))
  backups[format] = await h.backup({ planId, format, artifactKey: key, file: join(destination.path, key) })
}

function stagingLeftovers(target: string): string[] {
  return readdirSync(dirname(target)).filter((n) => n.startsWith(`.${basename(target)}.restore-`))
}

for (const format of FILE_BACKUP_FORMATS) {
  t.test(`${format}: a restore to a new path recreates the tree exactly, without setuid bits`, async (t) => {
    const target = join(h.filesRoot, `new-${format}`, 'restored')
    const row = await h.waitTerminal(await h.restore({ backupId: backups[format] ?? '', planId, targetPath: target }))
    t.equal(row.status, 'completed', row.error_message ?? '')
    t.same(describeTree(target), expected, 'every entry, mode, content and link matches the source')
    t.same(
      await waitFor(
        async () => stagingLeftovers(target),
        (l) => l.length === 0,
        { what: 'the switch journal to be removed', timeoutMs: 10_000 },
      ),
      [],
      'no staging directory or journal is left',
    )
  })

  t.test(`${format}: overwrite on replaces members of the same path and keeps other files`, async (t) => {
    const target = join(h.filesRoot, `overwrite-${format}`)
    const outside = scratchDir(t, 'outside')
    mkdirSync(join(target, 'sub'), { recursive: true })
    writeFileSync(join(target, 'readme.txt'), 'old content\n')
    writeFileSync(join(target, 'sub', 'data.bin'), 'old data\n')
    writeFileSync(join(target, 'keep-me.txt'), 'not in the archive\n')
    mkdirSync(join(target, 'sub', 'local-only'))
    // A symlink in the target where the archive has a directory must be replaced, never followed.
    symlinkSync(outside, join(target, '日本語'))
    const row = await h.waitTerminal(await h.restore({ backupId: backups[format] ?? '', planId, targetPath: target, overwrite: true }))
    t.equal(row.status, 'completed', row.error_message ?? '')
    const after = describeTree(target)
    t.equal(readFileSync(join(target, 'readme.txt'), 'utf8'), 'hello\n', 'a member replaced the existing file')
    t.equal(after['sub/data.bin'], expected['sub/data.bin'], 'a nested member replaced the existing file')
    t.equal(readFileSync(join(target, 'keep-me.txt'), 'utf8'), 'not in the archive\n', 'files not in the archive stay')
    t.equal(after['sub/local-only'], 'dir 755', 'directories not in the archive stay')
    t.equal(after.日本語, expected.日本語, 'the symlink was replaced by the archived directory')
    t.same(readdirSync(outside), [], 'nothing was written through the old symlink')
    for (const [path, description] of Object.entries(expected)) t.equal(after[path], description, `${path} is as archived`)
    // The switch journal is removed right after `completed` is recorded (docs/restore-semantics.md).
    t.same(
      await waitFor(
        async () => stagingLeftovers(target),
        (l) => l.length === 0,
        { what: 'the switch journal to be removed', timeoutMs: 10_000 },
      ),
      [],
    )
  })

  t.test(`${format}: overwrite off refuses a target where a member would replace a path, writing nothing`, async (t) => {
    const target = join(h.filesRoot, `refuse-${format}`)
    mkdirSync(join(target, 'sub'), { recursive: true })
    writeFileSync(join(target, 'sub', 'data.bin'), 'mine\n')
    writeFileSync(join(target, 'other.txt'), 'mine too\n')
    const before = describeTree(target)
    const row = await h.waitTerminal(await h.restore({ backupId: backups[format] ?? '', planId, targetPath: target }))
    t.equal(row.error_code, 'target_not_empty')
    t.match(row.error_message, /sub\/data\.bin/)
    t.same(describeTree(target), before, 'the target is unchanged')
    t.same(stagingLeftovers(target), [])
  })
}

t.test('overwrite off merges into a target whose existing paths the archive does not touch', async (t) => {
  const target = join(h.filesRoot, 'merge')
  mkdirSync(join(target, 'sub'), { recursive: true })
  writeFileSync(join(target, 'sub', 'unrelated.txt'), 'stays\n')
  const row = await h.waitTerminal(await h.restore({ backupId: backups.tar ?? '', planId, targetPath: target }))
  t.equal(row.status, 'completed', row.error_message ?? '')
  t.equal(readFileSync(join(target, 'sub', 'unrelated.txt'), 'utf8'), 'stays\n')
  t.equal(describeTree(target)['sub/data.bin'], expected['sub/data.bin'])
})

t.test('a wrong sha256 fails with checksum_mismatch and the existing target is unchanged', async (t) => {
  const target = join(h.filesRoot, 'checksum')
  mkdirSync(target)
  writeFileSync(join(target, 'readme.txt'), 'precious\n')
  const before = describeTree(target)
  const backupId = await h.backup({ planId, format: 'tar', artifactKey: 'tree.tar', sha256: '0'.repeat(64) })
  const row = await h.waitTerminal(await h.restore({ backupId, planId, targetPath: target, overwrite: true }))
  t.equal(row.error_code, 'checksum_mismatch')
  t.same(describeTree(target), before)
  t.same(stagingLeftovers(target), [])
})

t.test('a truncated archive fails with restore_tool_failed and the existing target is unchanged', async (t) => {
  const target = join(h.filesRoot, 'truncated')
  mkdirSync(target)
  writeFileSync(join(target, 'readme.txt'), 'precious\n')
  const before = describeTree(target)
  const whole = readFileSync(join(destination.path, 'tree.tar'))
  writeFileSync(join(destination.path, 'truncated.tar'), whole.subarray(0, Math.floor(whole.length / 2) + 100))
  const backupId = await h.backup({ planId, format: 'tar', artifactKey: 'truncated.tar', sha256: null })
  const row = await h.waitTerminal(await h.restore({ backupId, planId, targetPath: target, overwrite: true }))
  t.equal(row.error_code, 'restore_tool_failed')
  t.same(describeTree(target), before)
  t.same(stagingLeftovers(target), [])
})

t.test('a target filesystem that fills up mid-extraction fails with insufficient_space naming where and how much, target unchanged', async (t) => {
  // A real tmpfs holds the target (and so its staging directory). It has room for the archive's
  // 2 MiB, so the preflight's disk_space check passes, but only 6 inodes: the root, the target, its
  // file and the staging directory leave two, and tar's third file is refused with ENOSPC.
  const mount = join(h.filesRoot, 'small-disk')
  mkdirSync(mount)
  await execa('mount', ['-t', 'tmpfs', '-o', 'size=8m,nr_inodes=6,mode=0755', 'tmpfs', mount])
  t.teardown(() => execa('umount', [mount], { reject: false }))
  const target = join(mount, 'target')
  mkdirSync(target)
  writeFileSync(join(target, 'readme.txt'), 'precious\n')
  const before = describeTree(target)
  const bigSource = scratchDir(t, 'big-tree')
  for (let i = 0; i < 4; i++) writeFileSync(join(bigSource, `blob-${i}.bin`), randomBytes(512 * 1024))
  await makeTar(bigSource, 'tar', join(destination.path, 'big.tar'))
  const backupId = await h.backup({ planId, format: 'tar', artifactKey: 'big.tar', file: join(destination.path, 'big.tar') })
  const row = await h.waitTerminal(await h.restore({ backupId, planId, targetPath: target, overwrite: true }))
  t.equal(row.status, 'failed')
  t.equal(row.error_code, 'insufficient_space', row.error_message ?? '')
  t.match(row.error_message, `The staging directory ${mount}/.target.restore-`, 'the message names the staging directory')
  t.match(row.error_message, /ran out of room after \d+ bytes were extracted from the \d{7}-byte archive; \d+ bytes are free in /, 'and the bytes')
  t.same(describeTree(target), before, 'the target is unchanged')
  t.same(readdirSync(mount), ['target'], 'no staging directory is left beside it')
})

t.test('a target path outside RESTORE_PATH_ROOTS is refused with target_unreachable', async (t) => {
  const outside = join(scratchDir(t, 'not-a-root'), 'target')
  const row = await h.waitTerminal(await h.restore({ backupId: backups.tar ?? '', planId, targetPath: outside }))
  t.equal(row.error_code, 'target_unreachable')
  t.notOk(existsSync(outside), 'nothing was created')
})
