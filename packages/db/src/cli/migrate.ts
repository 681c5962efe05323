// `pnpm migrate`: applies migrations/ to DATABASE_URL.
import { migrateDatabase } from '../migrate.js'

const url = process.env.DATABASE_URL
if (!url) {
  console.error('DATABASE_URL is required: the PostgreSQL database to migrate (e.g. postgres://user:pass@127.0.0.1:5432/devpilot).')
  process.exit(2)
}
await migrateDatabase(url)
console.log('migrations applied')
