// Partial file restores (`include.paths`) through the real runner and GNU tar: only the selected
// directory (with everything below it) and the selected file arrive, with the same overwrite
// semantics and staging as a whole restore; unknown paths fail the include check and leave the
// target exactly as it was (compared entry by entry).
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describeTree, makeTar, scratchDir } from '@devpilot/devenv/testing'
import t from 'tap'
import { createHarness } from './harness.js'

const h = await createHarness(t)
await h.startRunner()
const destination = await h.localDestination()

const source = join(scratchDir(t, 'tree'), 'src')
for (const dir of ['conf/sub', 'www', 'data']) mkdirSync(join(source, dir), { recursive: true })
writeFileSync(join(source, 'conf', 'app.ini'), 'mode = prod\n')
writeFileSync(join(source, 'conf', 'sub', 'db.ini'), 'host = db\n')
writeFileSync(join(source, 'www', 'index.html'), '<h1>home</h1>\n')
writeFileSync(join(source, 'www', 'about.html'), '<h1>about</h1>\n')
writeFileSync(join(source, 'data', 'big.bin'), 'x'.repeat(4096))
writeFileSync(join(source, 'readme.txt'), 'read me\n')
symlinkSync('conf', join(source, 'conf-link'))
const expected = describeTree(source)

const planId = await h.filesPlan({ sourcePath: source, destinationId: destination.id })
const key = 'tree.tar.gz'
await makeTar(source, 'tar_gz', join(destination.path, key))
const backupId = await h.backup({ planId, format: 'tar_gz', artifactKey: key, file: join(destination.path, key) })

const pick = (tree: Record<string, string>, keep: (path: string) => boolean) => Object.fromEntries(Object.entries(tree).filter(([p]) => keep(p)))

t.test('into a new path: a selected directory brings everything below it, a selected file only itself', async (t) => {
  const target = join(h.filesRoot, 'new', 'restored')
  const row = await h.waitTerminal(await h.restore({ backupId, planId, targetPath: target, include: { paths: ['conf', 'www/index.html'] } }))
  t.equal(row.status, 'completed', row.error_message ?? '')
  t.same(
    describeTree(target),
    pick(expected, (p) => p === 'conf' || p.startsWith('conf/') || p === 'www' || p === 'www/index.html'),
    'exactly the selection, modes and contents as in the archive',
  )
})

t.test('overwrite on replaces only the selected paths; everything else in the target stays', async (t) => {
  const target = join(h.filesRoot, 'existing')
  mkdirSync(join(target, 'conf'), { recursive: true })
  mkdirSync(join(target, 'www'), { recursive: true })
  writeFileSync(join(target, 'conf', 'app.ini'), 'mode = broken\n')
  writeFileSync(join(target, 'conf', 'local.ini'), 'only here\n')
  writeFileSync(join(target, 'www', 'about.html'), 'edited since\n')
  writeFileSync(join(target, 'readme.txt'), 'edited since\n')
  const before = describeTree(target)
  const row = await h.waitTerminal(await h.restore({ backupId, planId, targetPath: target, include: { paths: ['conf/app.ini', 'conf/sub'] }, overwrite: true }))
  t.equal(row.status, 'completed', row.error_message ?? '')
  const after = describeTree(target)
  t.equal(after['conf/app.ini'], expected['conf/app.ini'], 'the selected file is restored')
  t.same(
    pick(after, (p) => p.startsWith('conf/sub')),
    pick(expected, (p) => p.startsWith('conf/sub')),
    'the selected directory is restored',
  )
  t.same(
    pick(after, (p) => p !== 'conf/app.ini' && !p.startsWith('conf/sub') && p !== 'conf'),
    pick(before, (p) => p !== 'conf/app.ini' && p !== 'conf'),
    'every other path is as it was (not in the selection: www/about.html, readme.txt, data/ stay out)',
  )
})

t.test('overwrite off refuses a selected path that exists; unknown paths fail the include check; the target is unchanged', async (t) => {
  const target = join(h.filesRoot, 'refusals')
  mkdirSync(join(target, 'www'), { recursive: true })
  writeFileSync(join(target, 'www', 'index.html'), 'live\n')
  const before = describeTree(target)
  const conflict = await h.waitTerminal(await h.restore({ backupId, planId, targetPath: target, include: { paths: ['www/index.html'] } }))
  t.equal(conflict.error_code, 'target_not_empty')
  t.match(conflict.error_message, /www\/index\.html/)
  t.same(describeTree(target), before)

  // `conf-link/app.ini` exists only through the archive's symlink: never followed.
  const unknown = await h.waitTerminal(
    await h.restore({ backupId, planId, targetPath: target, include: { paths: ['nope', 'conf-link/app.ini', 'readme.txt'] }, overwrite: true }),
  )
  t.equal(unknown.error_code, 'preflight_failed')
  t.match(unknown.error_message, /include: the archive has no "nope", "conf-link\/app\.ini"\./)
  const [row] = await h.db.sql<{ checks: Array<{ name: string; status: string }> }[]>`SELECT checks FROM restores WHERE id = ${unknown.id}`
  t.same(
    row?.checks.filter((c) => c.name === 'include').map((c) => [c.name, c.status]),
    [['include', 'failed']],
  )
  t.same(describeTree(target), before, 'nothing was written')
})
