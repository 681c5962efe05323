// pg-boss's database interface over one of our postgres.js transactions, so a job or a schedule
// commits or rolls back with the rows it belongs to. pg-boss binds objects (a schedule's data and
// options) the way node-postgres does, as JSON text; postgres.js would not, so they are serialised here.
import type postgres from 'postgres'

function bindable(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || value instanceof Date || Array.isArray(value) || value instanceof Uint8Array) return value
  return JSON.stringify(value)
}

export function transactionDb(tx: postgres.TransactionSql) {
  return {
    executeSql: async (text: string, values?: unknown[]) => ({ rows: await tx.unsafe(text, (values ?? []).map(bindable) as never[]) }),
  }
}
