// The verification step of one restore attempt, between the restore into staging and the swap: it
// decides whether to verify (a manifest, plan checks or a drill, and not `verify: false`), marks the
// stage, runs the checks (restore/verify.ts for databases, the member check for file drills),
// records the outcome on the restore and in the metrics, and throws verification_failed when it did
// not pass, so the driver drops its staging and the target stays as it was.
import { lstat } from 'node:fs/promises'
import { join } from 'node:path'
import type { RestoreVerification } from '@devpilot/contracts'
import { markVerifying, type Ownership, type RestoreRun, recordVerification } from '@devpilot/db'
import { OwnershipLostError } from './errors.js'
import type { Logger } from './logger.js'
import { verificationFinished } from './metrics.js'
import type { TargetServer } from './restore/pg-target.js'
import { SKIPPED_VERIFICATION, verificationError, verificationWanted, verifyStagingDatabase } from './restore/verify.js'
import type { RunnerContext } from './runner-context.js'

async function record(ctx: RunnerContext, ownership: Ownership, verification: RestoreVerification): Promise<void> {
  if (!(await recordVerification(ctx.db, { ...ownership, verification }))) throw new OwnershipLostError(ownership.restoreId)
}

async function runRecorded(ctx: RunnerContext, run: RestoreRun, ownership: Ownership, verify: () => Promise<RestoreVerification>): Promise<void> {
  if (!(await markVerifying(ctx.db, ownership))) throw new OwnershipLostError(ownership.restoreId)
  const started = performance.now()
  const verification = await verify()
  await record(ctx, ownership, verification)
  verificationFinished(verification.status, run.drill, (performance.now() - started) / 1000)
  if (verification.status === 'failed') throw verificationError(verification)
}

/** DatabaseRestoreParams.verifyStaging for this run: verifies, or records `skipped`. */
export function databaseVerificationStep(
  ctx: RunnerContext,
  run: RestoreRun,
  ownership: Ownership,
  server: TargetServer,
  secrets: readonly string[],
  log: Logger,
): (stagingDatabase: string) => Promise<void> {
  const input = { manifest: run.backup.manifest, checks: run.plan.verification?.checks ?? [], drill: run.drill, verify: run.verify }
  return async (stagingDatabase) => {
    if (!verificationWanted(input)) {
      await record(ctx, ownership, SKIPPED_VERIFICATION)
      verificationFinished('skipped', run.drill)
      return
    }
    await runRecorded(ctx, run, ownership, () =>
      verifyStagingDatabase({
        server,
        database: stagingDatabase,
        input,
        statementTimeoutSeconds: ctx.config.VERIFY_STATEMENT_TIMEOUT_SECONDS,
        secrets,
        log,
      }),
    )
  }
}

/** FileRestoreParams.verifyStaged for a file drill: every archive member must be in the staged tree. */
export function fileDrillVerificationStep(
  ctx: RunnerContext,
  run: RestoreRun,
  ownership: Ownership,
): (staging: string, members: readonly string[]) => Promise<void> {
  return (staging, members) =>
    runRecorded(ctx, run, ownership, async () => {
      const missing: string[] = []
      for (const name of members) {
        if ((await lstat(join(staging, name)).catch(() => null)) === null) missing.push(name)
      }
      const check =
        missing.length === 0
          ? { name: 'archive_members', status: 'passed' as const, message: `all ${members.length} archive members arrived` }
          : {
              name: 'archive_members',
              status: 'failed' as const,
              message: `${missing.length} of ${members.length} archive members missing after extraction: ${missing.slice(0, 10).join(', ')}`,
            }
      return { status: check.status, checks: [check], tables: [] }
    })
}
