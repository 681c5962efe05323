// PostgreSQL errors as callers meet them: postgres.js raises them with the SQLSTATE in `code`,
// drizzle wraps them (DrizzleQueryError) with the original as `cause`.

/** The SQLSTATE of a PostgreSQL error, also when drizzle wrapped it. */
export function pgErrorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code
  }
  return undefined
}

/** 23505: a unique index refused the row. */
export function isUniqueViolation(error: unknown): boolean {
  return pgErrorCode(error) === '23505'
}

/** The constraint (or unique index) a PostgreSQL error names, also when drizzle wrapped it. */
export function pgConstraint(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const name = (e as { constraint_name?: unknown }).constraint_name
    if (typeof name === 'string') return name
  }
  return undefined
}
