// `pnpm admin`: create-token prints only the token; the first user of a workspace is admin,
// later ones viewer unless --role says otherwise; list and revoke work.
import { fileURLToPath } from 'node:url'
import { findPrincipalByToken } from '@devpilot/db'
import { createProductDatabase, tsxCommand } from '@devpilot/devenv/testing'
import { execa } from 'execa'
import t from 'tap'

const database = await createProductDatabase(t)
const cli = tsxCommand(fileURLToPath(new URL('../src/cli/admin.ts', import.meta.url)))
const admin = (...args: string[]) => execa(cli.file, [...cli.args, ...args], { cwd: cli.cwd, env: { DATABASE_URL: database.url }, reject: false })

t.test('create-token prints only a working token and picks roles as documented', async (t) => {
  const first = await admin('create-token', '--workspace', 'acme', '--email', 'ops@acme.test')
  t.equal(first.exitCode, 0, first.stderr)
  t.match(first.stdout, /^dpr_[A-Za-z0-9_-]+$/, 'stdout is the token alone')
  t.match(await findPrincipalByToken(database.db, first.stdout), { email: 'ops@acme.test', role: 'admin', workspaceSlug: 'acme' })

  const second = await admin('create-token', '--workspace', 'acme', '--email', 'dev@acme.test')
  t.match(await findPrincipalByToken(database.db, second.stdout), { role: 'viewer' })
  const third = await admin('create-token', '--workspace', 'acme', '--email', 'oncall@acme.test', '--role', 'operator')
  t.match(await findPrincipalByToken(database.db, third.stdout), { role: 'operator' })

  const list = await admin('list-tokens', '--workspace', 'acme')
  t.equal(list.stdout.split('\n').length, 3)
  t.notMatch(list.stdout, /dpr_/, 'tokens are never listed')
  const principal = await findPrincipalByToken(database.db, second.stdout)
  const revoked = await admin('revoke-token', '--workspace', 'acme', '--id', principal?.tokenId ?? '')
  t.equal(revoked.exitCode, 0, revoked.stderr)
  t.equal(await findPrincipalByToken(database.db, second.stdout), null)
})

t.test('bad arguments exit 2 with usage and print no token', async (t) => {
  const res = await admin('create-token', '--workspace', 'acme')
  t.equal(res.exitCode, 2)
  t.equal(res.stdout, '')
  t.match(res.stderr, /usage/)
})
