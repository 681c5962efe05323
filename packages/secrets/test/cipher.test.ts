import t from 'tap'
import { createSecretBox, generateSecretsKey, SecretDecryptError } from '../src/index.js'

t.test('a secret round-trips and the stored form never contains the plaintext', async (t) => {
  const box = createSecretBox(generateSecretsKey())
  const stored = box.encrypt('hunter2-päss', 'row-1')
  t.notMatch(stored, /hunter2/)
  t.equal(box.decrypt(stored, 'row-1'), 'hunter2-päss')
})

t.test('encrypting the same secret twice gives different ciphertexts', async (t) => {
  const box = createSecretBox(generateSecretsKey())
  t.not(box.encrypt('same'), box.encrypt('same'))
})

t.test('a wrong key, altered ciphertext or another row id fails to decrypt', async (t) => {
  const box = createSecretBox(generateSecretsKey())
  const stored = box.encrypt('secret', 'row-1')
  t.throws(() => createSecretBox(generateSecretsKey()).decrypt(stored, 'row-1'), SecretDecryptError)
  t.throws(() => box.decrypt(stored, 'row-2'), SecretDecryptError)
  const parts = stored.split('.')
  const bytes = Buffer.from(parts[3] ?? '', 'base64url')
  bytes[0] = (bytes[0] ?? 0) ^ 0xff
  const tampered = [...parts.slice(0, 3), bytes.toString('base64url')].join('.')
  t.throws(() => box.decrypt(tampered, 'row-1'), SecretDecryptError)
})
