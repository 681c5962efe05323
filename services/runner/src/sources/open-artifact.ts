// Opens the artifact of a restore's backup in the destination that owns it. A disabled or deleted
// destination is refused before any byte is read; the S3 secret is decrypted only here.
import type { RestoreRun } from '@devpilot/db'
import { decryptDestinationSecret } from '@devpilot/db'
import type { SecretBox } from '@devpilot/secrets'
import { restoreError } from '../errors.js'
import type { Artifact } from './artifact.js'
import { openLocalArtifact } from './local.js'
import { openS3Artifact } from './s3.js'

/** Why the destination cannot be used at all, or null when it can. */
export function destinationProblem(destination: RestoreRun['destination']): string | null {
  if (destination.deleted) return "The backup's destination was deleted; its artifacts can no longer be restored through it."
  if (!destination.enabled) return "The backup's destination is disabled; enable it to restore from it."
  return null
}

export interface OpenDeps {
  box: SecretBox
  localRoots: readonly string[]
  signal: AbortSignal
}

export async function openArtifact(run: RestoreRun, deps: OpenDeps): Promise<{ artifact: Artifact; secrets: string[] }> {
  return openDestinationObject(run.destination, run.backup.artifactKey, deps)
}

/** Opens one object (a backup artifact or a stream segment) of a destination. */
export async function openDestinationObject(d: RestoreRun['destination'], key: string, deps: OpenDeps): Promise<{ artifact: Artifact; secrets: string[] }> {
  const problem = destinationProblem(d)
  if (problem) throw restoreError('destination_unavailable', problem)
  if (d.type === 'local') {
    if (!d.path) throw restoreError('destination_unavailable', 'The local destination has no path.')
    return { artifact: await openLocalArtifact({ directory: d.path, artifactKey: key, roots: deps.localRoots }), secrets: [] }
  }
  if (!d.bucket || !d.region || !d.accessKeyId || !d.secretAccessKeyCiphertext)
    throw restoreError('destination_unavailable', 'The S3 destination is incomplete.')
  let secret: string
  try {
    secret = decryptDestinationSecret(deps.box, d.id, d.secretAccessKeyCiphertext)
  } catch (error) {
    throw restoreError('destination_unavailable', "The destination's secret could not be decrypted with this runner's SECRETS_KEY.", error)
  }
  const artifact = await openS3Artifact(
    {
      bucket: d.bucket,
      region: d.region,
      endpoint: d.endpoint,
      prefix: d.prefix,
      forcePathStyle: d.forcePathStyle,
      accessKeyId: d.accessKeyId,
      secretAccessKey: secret,
    },
    key,
    deps.signal,
  )
  return { artifact, secrets: [secret] }
}
