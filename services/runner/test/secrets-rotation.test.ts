// Rotating SECRETS_KEY end to end: a restore from S3 (destination secret) into a server with a
// password works under the old key; runners move to the new key with the old one as
// SECRETS_KEY_PREVIOUS; `pnpm admin rotate-secrets-key` re-encrypts every stored secret; then a
// runner holding only the new key restores again, and the old key alone no longer decrypts them.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { decryptServerPassword } from '@devpilot/db'
import { createEmptyDatabase, fingerprint, pgDump, psql, putObject, type Teardown, testEnv, tsxCommand } from '@devpilot/devenv/testing'
import { createSecretBox, generateSecretsKey } from '@devpilot/secrets'
import { execa } from 'execa'
import t from 'tap'
import { createHarness } from './harness.js'

const env = testEnv()
const h = await createHarness(t)
const oldKey = h.secretsKey
const newKey = generateSecretsKey()
const server = await h.server(env.DEVPILOT_TEST_PG_URL)
const s3 = await h.s3Destination({ prefix: 'rotation' })
const source = await createEmptyDatabase(t, { prefix: 'rotsrc' })
await psql(source.url, 'CREATE TABLE kept (id int PRIMARY KEY, v text); INSERT INTO kept SELECT i, md5(i::text) FROM generate_series(1, 500) i;')
const dumpFile = join(await h.localDestination().then((d) => d.path), 'app.dump')
await pgDump(source.url, 'pg_custom', dumpFile)
await putObject(s3.client, s3.bucket, 'rotation/app.dump', readFileSync(dumpFile))
const planId = await h.databasePlan({ sourceServerId: server, sourceDatabase: source.name, destinationId: s3.id })
const backupId = await h.backup({ planId, format: 'pg_custom', artifactKey: 'app.dump', file: dumpFile })
const expected = await fingerprint(source.url)

async function restoreWith(t: Teardown, keys: Record<string, string>) {
  const worker = await h.startRunner(keys)
  const target = await createEmptyDatabase(t, { prefix: 'rottarget' })
  const row = await h.waitTerminal(await h.restore({ backupId, planId, targetServerId: server, targetDatabase: target.name, overwrite: true }))
  await worker.stop()
  return { row, target }
}

async function passwordCiphertext(): Promise<string> {
  const [row] = await h.db.sql<{ c: string }[]>`SELECT password_ciphertext AS c FROM servers WHERE id = ${server}`
  return row?.c ?? ''
}

t.test('a restore before and after rotate-secrets-key; the old key alone no longer decrypts', async (t) => {
  const before = await restoreWith(t, { SECRETS_KEY: oldKey })
  t.equal(before.row.status, 'completed', `under the old key ${before.row.error_message ?? ''}`)
  t.same(await fingerprint(before.target.url), expected)

  const oldCiphertext = await passwordCiphertext()
  const admin = tsxCommand('services/api/src/cli/admin.ts')
  const rotated = await execa(admin.file, [...admin.args, 'rotate-secrets-key'], {
    cwd: admin.cwd,
    env: { DATABASE_URL: h.db.url, SECRETS_KEY: newKey, SECRETS_KEY_PREVIOUS: oldKey },
    reject: false,
  })
  t.equal(rotated.exitCode, 0, rotated.stderr)
  t.match(rotated.stderr, /re-encrypted 1 server passwords, 1 destination secrets and 0 webhook secrets/)
  const newCiphertext = await passwordCiphertext()
  t.not(newCiphertext, oldCiphertext, 'the stored password was written again')
  t.throws(() => decryptServerPassword(createSecretBox(oldKey), server, newCiphertext), 'the old key alone no longer decrypts it')

  const after = await restoreWith(t, { SECRETS_KEY: newKey })
  t.equal(after.row.status, 'completed', `under the new key alone ${after.row.error_message ?? ''}`)
  t.same(await fingerprint(after.target.url), expected)
})

t.test('rotate-secrets-key without the previous key refuses and changes nothing', async (t) => {
  const before = await passwordCiphertext()
  const admin = tsxCommand('services/api/src/cli/admin.ts')
  const result = await execa(admin.file, [...admin.args, 'rotate-secrets-key'], {
    cwd: admin.cwd,
    env: { DATABASE_URL: h.db.url, SECRETS_KEY: generateSecretsKey() },
    reject: false,
  })
  t.equal(result.exitCode, 2)
  t.match(result.stderr, /SECRETS_KEY_PREVIOUS/)
  t.equal(await passwordCiphertext(), before)
})
