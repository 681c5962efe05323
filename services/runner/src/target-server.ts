// The target server of a database restore as the drivers take it: the server row of the run with
// its password decrypted. Decryption happens only here, with this runner's SECRETS_KEY; a key that
// cannot decrypt it is the restore's failure (target_unreachable), not the runner's.
import { decryptServerPassword, type RestoreRun } from '@devpilot/db'
import type { SecretBox } from '@devpilot/secrets'
import { restoreError } from './errors.js'
import type { TargetServer } from './restore/pg-target.js'

export function resolveTargetServer(box: SecretBox, server: NonNullable<RestoreRun['server']>): TargetServer {
  let password: string | null = null
  if (server.passwordCiphertext) {
    try {
      password = decryptServerPassword(box, server.id, server.passwordCiphertext)
    } catch (error) {
      throw restoreError('target_unreachable', "The target server's password could not be decrypted with this runner's SECRETS_KEY.", error)
    }
  }
  return {
    host: server.host,
    port: server.port,
    username: server.username,
    password,
    maintenanceDatabase: server.maintenanceDatabase,
    sslmode: server.sslmode,
  }
}
