// Storage destinations. The S3 secret access key is encrypted before it reaches SQL and bound to
// the row id; only the runner decrypts it, to open the bucket.
import type { SecretBox } from '@devpilot/secrets'
import type { Db } from '../client.js'
import { destinations } from '../schema.js'

export type NewDestination =
  | { workspaceId: string; name: string; type: 'local'; path: string; enabled?: boolean }
  | {
      workspaceId: string
      name: string
      type: 's3'
      bucket: string
      region: string
      endpoint?: string | null
      prefix?: string | null
      forcePathStyle?: boolean | null
      accessKeyId: string
      secretAccessKey: string
      enabled?: boolean
    }

export function encryptDestinationSecret(box: SecretBox, destinationId: string, secret: string): string {
  return box.encrypt(secret, `destination:${destinationId}`)
}

export function decryptDestinationSecret(box: SecretBox, destinationId: string, ciphertext: string): string {
  return box.decrypt(ciphertext, `destination:${destinationId}`)
}

export async function insertDestination(db: Db, box: SecretBox, input: NewDestination) {
  const id = crypto.randomUUID()
  const values =
    input.type === 'local'
      ? { id, workspaceId: input.workspaceId, name: input.name, type: 'local', path: input.path, enabled: input.enabled ?? true }
      : {
          id,
          workspaceId: input.workspaceId,
          name: input.name,
          type: 's3',
          bucket: input.bucket,
          region: input.region,
          endpoint: input.endpoint ?? null,
          prefix: input.prefix ?? null,
          forcePathStyle: input.forcePathStyle ?? null,
          accessKeyId: input.accessKeyId,
          secretAccessKeyCiphertext: encryptDestinationSecret(box, id, input.secretAccessKey),
          enabled: input.enabled ?? true,
        }
  const [row] = await db.insert(destinations).values(values).returning({ id: destinations.id })
  if (!row) throw new Error('destination insert returned nothing')
  return row
}
