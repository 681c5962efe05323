// Applies migrations/ in order under a cluster-wide advisory lock, so an API and runners starting
// together never race; already-applied migrations are skipped (drizzle's journal table).
import { fileURLToPath } from 'node:url'
import { migrate } from 'drizzle-orm/postgres-js/migrator'
import postgres from 'postgres'
import { openDatabase } from './client.js'

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../../migrations', import.meta.url))
const MIGRATION_LOCK_KEY = 7_142_001 // arbitrary, constant: "devpilot-restore migrations"

export async function migrateDatabase(url: string): Promise<void> {
  const lock = postgres(url, { max: 1, onnotice: () => {} })
  const database = openDatabase(url, { max: 1, applicationName: 'devpilot-restore-migrate' })
  try {
    await lock`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`
    await migrate(database.db, { migrationsFolder: MIGRATIONS_FOLDER })
  } finally {
    await lock`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.catch(() => {})
    await Promise.all([lock.end({ timeout: 5 }), database.close()])
  }
}
