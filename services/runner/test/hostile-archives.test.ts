// Hostile archives, crafted with Python's tarfile (GNU tar refuses to create most of them):
// `..` members, absolute names, a symlink to outside followed by a member written through it, a
// relative symlink climbing out, hard links to outside, device and FIFO nodes. Each must fail with
// archive_unsafe, write nothing outside the target, and leave the existing target unchanged.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { describeTree, scratchDir } from '@devpilot/devenv/testing'
import { execa } from 'execa'
import t from 'tap'
import { createHarness } from './harness.js'

const h = await createHarness(t)
await h.startRunner()
const destination = await h.localDestination()
const planId = await h.filesPlan({ sourcePath: '/srv/app', destinationId: destination.id })

// Each case: a Python body adding members to `tar` (a tarfile.TarFile); `outside` and `victim` are in scope.
const CASES: Record<string, string> = {
  'a member named ../x': `
add_file(tar, '../escaped.txt', b'pwned')`,
  'an absolute member name': `
add_file(tar, outside + '/absolute.txt', b'pwned')`,
  'a symlink to outside followed by a member written through it': `
link = tarfile.TarInfo('innocent'); link.type = tarfile.SYMTYPE; link.linkname = outside; tar.addfile(link)
add_file(tar, 'innocent/through-link.txt', b'pwned')`,
  'a relative symlink climbing out of the target': `
link = tarfile.TarInfo('up'); link.type = tarfile.SYMTYPE; link.linkname = '../../../../../../../../' + outside.lstrip('/'); tar.addfile(link)`,
  'a dangling symlink that climbs out through another in-tree symlink': `
d = tarfile.TarInfo('d'); d.type = tarfile.DIRTYPE; d.mode = 0o755; tar.addfile(d)
l = tarfile.TarInfo('d/l'); l.type = tarfile.SYMTYPE; l.linkname = '..'; tar.addfile(l)
z = tarfile.TarInfo('z'); z.type = tarfile.SYMTYPE; z.linkname = 'd/l/../not-there-yet'; tar.addfile(z)`,
  'a hard link to a file outside (absolute)': `
hl = tarfile.TarInfo('hard'); hl.type = tarfile.LNKTYPE; hl.linkname = victim; tar.addfile(hl)`,
  'a hard link to a file outside (relative)': `
hl = tarfile.TarInfo('hard'); hl.type = tarfile.LNKTYPE; hl.linkname = '../../../../../../../..' + victim; tar.addfile(hl)`,
  'a character device node': `
dev = tarfile.TarInfo('null-dev'); dev.type = tarfile.CHRTYPE; dev.devmajor = 1; dev.devminor = 3; tar.addfile(dev)`,
  'a FIFO': `
fifo = tarfile.TarInfo('pipe'); fifo.type = tarfile.FIFOTYPE; tar.addfile(fifo)`,
  'an unsafe name hidden in a GNU long-name header': `
add_file(tar, 'x' * 120 + '/../../escaped-long.txt', b'pwned')`,
  'an unsafe name hidden in a pax header (format pax)': `
add_file(tar, 'y' * 120 + '/../../escaped-pax.txt', b'pwned')`,
}

async function craft(file: string, body: string, format: 'pax' | 'gnu', outside: string, victim: string): Promise<void> {
  const script = `
import io, sys, tarfile
out, outside, victim, fmt = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
def add_file(tar, name, data):
    info = tarfile.TarInfo(name); info.size = len(data); tar.addfile(info, io.BytesIO(data))
with tarfile.open(out, 'w', format=tarfile.PAX_FORMAT if fmt == 'pax' else tarfile.GNU_FORMAT) as tar:
    add_file(tar, 'harmless-first.txt', b'fine')
${body}
    add_file(tar, 'harmless-last.txt', b'fine')
`
  await execa('python3', ['-c', script, file, outside, victim, format])
}

let n = 0
for (const [name, body] of Object.entries(CASES)) {
  t.test(`${name} is refused with archive_unsafe and nothing is written outside the target`, async (t) => {
    n++
    const outside = scratchDir(t, 'outside')
    const victim = join(outside, 'victim.txt')
    writeFileSync(victim, 'original')
    const target = join(h.filesRoot, `hostile-${n}`)
    mkdirSync(target)
    writeFileSync(join(target, 'existing.txt'), 'keep')
    const before = describeTree(target)
    const key = `hostile-${n}.tar`
    await craft(join(destination.path, key), body.replace(/^\n/, '').replace(/^/gm, '    '), name.includes('(format pax)') ? 'pax' : 'gnu', outside, victim)
    const backupId = await h.backup({ planId, format: 'tar', artifactKey: key, file: join(destination.path, key) })
    const row = await h.waitTerminal(await h.restore({ backupId, planId, targetPath: target, overwrite: true }))
    t.equal(row.error_code, 'archive_unsafe', row.error_message ?? '')
    t.comment(row.error_message ?? '')
    t.same(readdirSync(outside), ['victim.txt'], 'nothing was created outside the target')
    t.equal(readFileSync(victim, 'utf8'), 'original', 'the file outside was not changed')
    t.same(describeTree(target), before, 'the target is unchanged')
    t.same(
      readdirSync(dirname(target)).filter((e) => e.startsWith(`.${basename(target)}.restore-`)),
      [],
      'no staging directory is left',
    )
  })
}
