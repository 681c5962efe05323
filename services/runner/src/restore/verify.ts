// Verification of a restored staging database before the swap (DESIGN.md "Verification"): the exact
// row count of every restored table, compared with the backup's manifest where one exists, then
// each of the plan's SQL checks. Everything runs in READ ONLY transactions under a statement
// timeout, over the extended query protocol (one statement a check: `COMMIT; DELETE …` cannot
// leave the read-only transaction), so a check can never change the data it verifies. It returns
// the outcome and records nothing; the caller fails the restore when it did not pass.
import type { BackupManifest, PlanVerification, RestoreVerification } from '@devpilot/contracts'
import { pgErrorCode } from '@devpilot/db'
import type postgres from 'postgres'
import { restoreError } from '../errors.js'
import type { Logger } from '../logger.js'
import { scrubSecrets } from '../scrub.js'
import { connectTarget, quoteIdent, type TargetServer } from './pg-target.js'

export interface VerificationInput {
  manifest: BackupManifest | null
  checks: PlanVerification['checks']
  drill: boolean
  /** The restore body's `verify` (false: the record says skipped). */
  verify: boolean
}

/** Whether a restore verifies at all: something to verify against, or a drill, and not `verify: false`. */
export function verificationWanted(input: VerificationInput): boolean {
  return input.verify && (input.manifest !== null || input.checks.length > 0 || input.drill)
}

export const SKIPPED_VERIFICATION: RestoreVerification = { status: 'skipped', checks: [], tables: [] }

type Check = RestoreVerification['checks'][number]
type Table = RestoreVerification['tables'][number]

const QUERY_CANCELED = '57014'

/** Runs `fn` in a READ ONLY transaction with the statement timeout; the transaction is always rolled back. */
async function readOnly<T>(sql: postgres.Sql, timeoutMs: number, fn: (tx: postgres.TransactionSql) => Promise<T>): Promise<T> {
  const rollback = Symbol('rollback')
  let result: { value: T } | null = null
  try {
    await sql.begin('read only', async (tx) => {
      await tx.unsafe(`SET LOCAL statement_timeout = ${Math.max(1, Math.round(timeoutMs))}`)
      result = { value: await fn(tx) }
      throw rollback
    })
  } catch (error) {
    if (error !== rollback) throw error
  }
  if (result === null) throw new Error('read-only transaction ended without a result')
  return (result as { value: T }).value
}

/** Names of the types a check most often returns by mistake, for its message. */
const TYPE_NAMES: Record<number, string> = {
  20: 'bigint',
  21: 'smallint',
  23: 'integer',
  25: 'text',
  700: 'real',
  701: 'double precision',
  1043: 'varchar',
  1700: 'numeric',
  1082: 'date',
  1184: 'timestamptz',
  114: 'json',
  3802: 'jsonb',
}

function describeValue(value: unknown, typeOid: number | undefined): string {
  const type = typeOid === undefined ? '' : ` (${TYPE_NAMES[typeOid] ?? `type oid ${typeOid}`})`
  if (value === null) return `NULL${type}`
  if (typeof value === 'string' && (typeOid === 25 || typeOid === 1043)) return `${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)}${type}`
  if (value instanceof Date) return `${value.toISOString()}${type}`
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value)
  return `${text.length > 60 ? `${text.slice(0, 60)}…` : text}${type}`
}

function failureReason(error: unknown, secrets: readonly string[], timeoutSeconds: number): string {
  if (pgErrorCode(error) === QUERY_CANCELED) return `timed out after ${timeoutSeconds} s (VERIFY_STATEMENT_TIMEOUT_SECONDS)`
  const message = error instanceof Error ? error.message : String(error)
  return `failed: ${scrubSecrets(message, secrets)}`
}

async function countTables(sql: postgres.Sql, timeoutMs: number): Promise<{ schema: string; name: string; rows: number }[]> {
  const tables = await readOnly(
    sql,
    timeoutMs,
    (tx) =>
      tx<{ schema: string; name: string }[]>`
      SELECT n.nspname AS schema, c.relname AS name
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
      ORDER BY 1, 2`,
  )
  const counted: { schema: string; name: string; rows: number }[] = []
  for (const table of tables) {
    const [row] = await readOnly(sql, timeoutMs, (tx) =>
      tx.unsafe<{ rows: string }[]>(`SELECT count(*)::text AS rows FROM ${quoteIdent(table.schema)}.${quoteIdent(table.name)}`),
    )
    counted.push({ ...table, rows: Number(row?.rows ?? 0) })
  }
  return counted
}

/** One plan check: passes with exactly one row whose first column is boolean true. */
async function runCheck(sql: postgres.Sql, check: { name: string; sql: string }, timeoutMs: number): Promise<Check> {
  // simple: false = extended protocol, which takes exactly one statement.
  const rows = await readOnly(sql, timeoutMs, (tx) => tx.unsafe(check.sql, [], { simple: false } as never).values())
  if (rows.length !== 1) return { name: check.name, status: 'failed', message: `returned ${rows.length} rows; a check must return exactly one row` }
  const first = rows[0]?.[0]
  if (typeof first !== 'boolean') {
    const typeOid = rows.columns[0]?.type
    return { name: check.name, status: 'failed', message: `returned ${describeValue(first, typeOid)}, not a boolean; a check's first column must be true` }
  }
  return first ? { name: check.name, status: 'passed', message: 'returned true' } : { name: check.name, status: 'failed', message: 'returned false' }
}

export async function verifyStagingDatabase(params: {
  server: TargetServer
  database: string
  input: VerificationInput
  statementTimeoutSeconds: number
  secrets: readonly string[]
  log: Logger
}): Promise<RestoreVerification> {
  const { input, log } = params
  const timeoutMs = params.statementTimeoutSeconds * 1000
  const sql = await connectTarget(params.server, params.database)
  const checks: Check[] = []
  let tables: Table[] = []
  try {
    try {
      const counted = await countTables(sql, timeoutMs)
      const expected = new Map((input.manifest?.tables ?? []).map((t) => [JSON.stringify([t.schema, t.name]), t.rows]))
      tables = counted.map((t) => ({ ...t, expectedRows: input.manifest ? (expected.get(JSON.stringify([t.schema, t.name])) ?? null) : null }))
      if (input.manifest) {
        const restored = new Set(counted.map((t) => JSON.stringify([t.schema, t.name])))
        const missing = input.manifest.tables.filter((t) => !restored.has(JSON.stringify([t.schema, t.name])))
        const differ = tables.filter((t) => t.expectedRows !== null && t.expectedRows !== t.rows)
        const problems = [
          ...missing.map((t) => `${t.schema}.${t.name} is in the manifest (${t.rows} rows) but not in the restored database`),
          ...differ.map((t) => `${t.schema}.${t.name} has ${t.rows} rows, the manifest says ${t.expectedRows}`),
        ]
        checks.push(
          problems.length === 0
            ? { name: 'manifest', status: 'passed', message: `${input.manifest.tables.length} tables match the manifest's row counts` }
            : {
                name: 'manifest',
                status: 'failed',
                message: problems.slice(0, 10).join('; ') + (problems.length > 10 ? ` (and ${problems.length - 10} more)` : ''),
              },
        )
      }
    } catch (error) {
      checks.push({ name: 'row_counts', status: 'failed', message: `Counting rows ${failureReason(error, params.secrets, params.statementTimeoutSeconds)}` })
    }
    for (const check of input.checks) {
      try {
        checks.push(await runCheck(sql, check, timeoutMs))
      } catch (error) {
        checks.push({ name: check.name, status: 'failed', message: failureReason(error, params.secrets, params.statementTimeoutSeconds) })
      }
    }
  } finally {
    await sql.end({ timeout: 5 })
  }
  const failed = checks.filter((c) => c.status === 'failed')
  const verification: RestoreVerification = { status: failed.length === 0 ? 'passed' : 'failed', checks, tables }
  log.info({ status: verification.status, tables: tables.length, checks: checks.length, failed: failed.map((c) => c.name) }, 'verification finished')
  return verification
}

/** The restore error for a verification that did not pass: names each failed check and what it returned. */
export function verificationError(verification: RestoreVerification) {
  const failed = verification.checks.filter((c) => c.status === 'failed')
  return restoreError(
    'verification_failed',
    `Verification failed before the swap: ${failed.map((c) => `${c.name}: ${c.message}`).join('; ')}. The target was not changed.`,
  )
}
