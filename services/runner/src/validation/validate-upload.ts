// Reads an uploaded artifact back from its destination, whole, and checks it is what it claims:
// the first bytes match the declared format (format-sniffer.ts); a dump with a table of contents
// is read end to end by pg_restore (`--file=/dev/null`: it must list and every data block must
// decompress); plain SQL passes the plain-SQL guard and holds no NUL byte; an archive passes the
// member guard and `tar --list`; and the sha256 and size equal what the API computed while
// receiving it. Throws an UploadRejected (or an error verdictOf maps to one) on the first problem.
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import { type BackupFormat, workspaceRoots } from '@devpilot/contracts'
import type { BackupValidationRun } from '@devpilot/db'
import { childEnv, feedTool, type StreamStage } from '../restore/feed-tool.js'
import { PlainSqlGuard } from '../restore/plain-sql-guard.js'
import { TarGuard } from '../restore/tar-guard.js'
import type { RunnerContext } from '../runner-context.js'
import { openDestinationObject } from '../sources/open-artifact.js'
import { VerifyingCounter } from '../sources/verify.js'
import { FormatSniffer, NoNulBytes } from './format-sniffer.js'
import { UploadRejected } from './upload-rejected.js'

export async function validateUpload(ctx: RunnerContext, run: BackupValidationRun, signal: AbortSignal): Promise<void> {
  const deps = { box: ctx.box, localRoots: workspaceRoots(ctx.config.LOCAL_DESTINATION_ROOTS, run.workspaceSlug), signal }
  const { artifact, secrets } = await openDestinationObject(run.destination, run.artifactKey, deps)
  const counter = new VerifyingCounter(run.sha256, () => {})
  const stages: StreamStage[] = [artifact.stream, counter, ...checks(run.format)]
  const tool = toolFor(ctx, run.format, secrets)
  try {
    if (tool) await feedTool(tool, stages, signal)
    else await pipeline([...stages, discard()], { signal })
  } catch (error) {
    // feedTool reports a failed stage that is not an AppError as a read failure; the stage's own
    // verdict (e.g. format_mismatch) is the clearer reason.
    const own = stages.map((s) => (s as { errored?: unknown }).errored).find((e) => e instanceof UploadRejected)
    throw own ?? error
  }
  if (run.sizeBytes !== null && counter.bytes !== run.sizeBytes) {
    throw new UploadRejected(
      'checksum_mismatch',
      `The stored artifact has ${counter.bytes} bytes but ${run.sizeBytes} were uploaded; it was changed or cut off in the destination.`,
    )
  }
}

/** The in-process checks between the source and the tool, per declared format. */
function checks(format: BackupFormat): StreamStage[] {
  switch (format) {
    case 'pg_custom':
      return [new FormatSniffer('pg_custom', 'pg_custom')]
    case 'pg_tar':
      return [new FormatSniffer('tar', 'pg_tar')]
    case 'pg_plain':
      return [new FormatSniffer('plain', 'pg_plain'), new NoNulBytes('pg_plain'), new PlainSqlGuard()]
    case 'pg_plain_gz':
      return [
        new FormatSniffer('gzip', 'pg_plain_gz'),
        createGunzip(),
        new FormatSniffer('plain', 'pg_plain_gz (once decompressed)'),
        new NoNulBytes('pg_plain_gz'),
        new PlainSqlGuard(),
      ]
    case 'tar':
      return [new FormatSniffer('tar', 'tar'), new TarGuard()]
    case 'tar_gz':
      return [new FormatSniffer('gzip', 'tar_gz'), createGunzip(), new FormatSniffer('tar', 'tar_gz (once decompressed)'), new TarGuard()]
  }
}

/** The tool that reads the whole artifact the way a restore would, writing nothing anywhere. */
function toolFor(ctx: RunnerContext, format: BackupFormat, secrets: readonly string[]) {
  const env = childEnv({})
  if (format === 'pg_custom' || format === 'pg_tar') {
    const pgFormat = format === 'pg_tar' ? 'tar' : 'custom'
    return {
      file: ctx.tools.pgRestore,
      args: [`--format=${pgFormat}`, '--file=/dev/null'],
      env,
      secrets,
      failureMessage: `pg_restore cannot read the upload as a ${format} dump (it is corrupt, truncated, or made by a newer pg_dump than this runner's pg_restore)`,
    }
  }
  if (format === 'tar' || format === 'tar_gz') {
    return { file: 'tar', args: ['--list', '--file=-'], env, secrets, failureMessage: 'tar cannot read the upload as an archive (it is corrupt or truncated)' }
  }
  return null
}

function discard(): Writable {
  return new Writable({
    highWaterMark: 256 * 1024,
    write: (_chunk, _encoding, callback) => callback(),
  })
}
