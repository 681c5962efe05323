// Secrets are stored encrypted: the raw columns never contain the plaintext, and the stored
// value decrypts back only for its own row.
import { decryptDestinationSecret, decryptServerPassword, insertDestination, insertServer, rawServerPasswordColumn } from '@devpilot/db'
import { createProductDatabase, seedWorkspace, testSecretBox } from '@devpilot/devenv/testing'
import t from 'tap'

t.test('server passwords and destination secrets are ciphertext in the table', async (t) => {
  const db = await createProductDatabase(t)
  const { box } = testSecretBox()
  const ws = await seedWorkspace(db.db)
  const password = 'correct horse battery staple'
  const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
  const server = await insertServer(db.db, box, { workspaceId: ws.workspaceId, name: 's', host: 'db.internal', username: 'app', password })
  const destination = await insertDestination(db.db, box, {
    workspaceId: ws.workspaceId,
    name: 'b',
    type: 's3',
    bucket: 'backups',
    region: 'eu-west-1',
    accessKeyId: 'AKIAEXAMPLE',
    secretAccessKey: secret,
  })

  const dump = await db.sql<{ row: string }[]>`
    SELECT row_to_json(s)::text AS row FROM servers s UNION ALL SELECT row_to_json(d)::text FROM destinations d`
  const everything = dump.map((r) => r.row).join('\n')
  t.notMatch(everything, password, 'password plaintext appears nowhere in servers')
  t.notMatch(everything, secret, 'secret plaintext appears nowhere in destinations')

  const stored = await rawServerPasswordColumn(db.db, server.id)
  t.match(stored, /^v1\./)
  t.equal(decryptServerPassword(box, server.id, stored ?? ''), password)
  t.throws(() => decryptServerPassword(box, destination.id, stored ?? ''), 'a ciphertext does not decrypt for another row')
  const [dest] = await db.sql<{ c: string }[]>`SELECT secret_access_key_ciphertext AS c FROM destinations WHERE id = ${destination.id}`
  t.equal(decryptDestinationSecret(box, destination.id, dest?.c ?? ''), secret)
})

t.test('the database refuses a plaintext secret written around the query layer', async (t) => {
  const db = await createProductDatabase(t)
  const ws = await seedWorkspace(db.db)
  await t.rejects(
    db.sql`INSERT INTO servers (workspace_id, name, host, username, password_ciphertext) VALUES (${ws.workspaceId}, 'x', 'h', 'u', 'plaintext-password')`,
    { code: '23514' },
  )
})
