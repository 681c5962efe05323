// Key rotation for secrets at rest: every server password, destination secret and webhook signing
// secret is decrypted
// (with the current or the previous key, see createSecretBox) and written again under the current
// key, in one transaction, so a rotation either re-encrypts everything or nothing. Rows are locked
// while it runs, so a concurrent PATCH of a server waits instead of being overwritten.
import type { SecretBox } from '@devpilot/secrets'
import { eq, isNotNull } from 'drizzle-orm'
import type { Db } from '../client.js'
import { destinations, servers, webhooks } from '../schema.js'
import { decryptDestinationSecret, encryptDestinationSecret } from './destinations.js'
import { decryptServerPassword, encryptServerPassword } from './servers.js'
import { decryptWebhookSecret, encryptWebhookSecret } from './webhooks.js'

export async function reencryptSecrets(db: Db, box: SecretBox): Promise<{ servers: number; destinations: number; webhooks: number }> {
  return db.transaction(async (tx) => {
    const serverRows = await tx
      .select({ id: servers.id, ciphertext: servers.passwordCiphertext })
      .from(servers)
      .where(isNotNull(servers.passwordCiphertext))
      .for('update')
    for (const row of serverRows) {
      if (row.ciphertext === null) continue
      const password = decryptServerPassword(box, row.id, row.ciphertext)
      await tx
        .update(servers)
        .set({ passwordCiphertext: encryptServerPassword(box, row.id, password) })
        .where(eq(servers.id, row.id))
    }
    const destinationRows = await tx
      .select({ id: destinations.id, ciphertext: destinations.secretAccessKeyCiphertext })
      .from(destinations)
      .where(isNotNull(destinations.secretAccessKeyCiphertext))
      .for('update')
    for (const row of destinationRows) {
      if (row.ciphertext === null) continue
      const secret = decryptDestinationSecret(box, row.id, row.ciphertext)
      await tx
        .update(destinations)
        .set({ secretAccessKeyCiphertext: encryptDestinationSecret(box, row.id, secret) })
        .where(eq(destinations.id, row.id))
    }
    // Deleted webhooks too: their secret stays decryptable like every other stored secret.
    const webhookRows = await tx.select({ id: webhooks.id, ciphertext: webhooks.secretCiphertext }).from(webhooks).for('update')
    for (const row of webhookRows) {
      const secret = decryptWebhookSecret(box, row.id, row.ciphertext)
      await tx
        .update(webhooks)
        .set({ secretCiphertext: encryptWebhookSecret(box, row.id, secret) })
        .where(eq(webhooks.id, row.id))
    }
    return { servers: serverRows.length, destinations: destinationRows.length, webhooks: webhookRows.length }
  })
}
