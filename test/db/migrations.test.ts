// The migrations apply to an empty database and are a no-op when applied again.
import { migrateDatabase } from '@devpilot/db'
import { adminQuery, createEmptyDatabase } from '@devpilot/devenv/testing'
import postgres from 'postgres'
import t from 'tap'

async function schemaFingerprint(url: string) {
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  try {
    const columns =
      await sql`SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2`
    const constraints = await sql`SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1`
    const indexes = await sql`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`
    const triggers = await sql`SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1`
    const applied = await sql`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`
    return { columns, constraints, indexes, triggers, applied: applied[0]?.n }
  } finally {
    await sql.end()
  }
}

t.test('migrations apply to an empty database and are a no-op when applied again', async (t) => {
  const { url } = await createEmptyDatabase(t, { prefix: 'migrate' })
  await migrateDatabase(url)
  const first = await schemaFingerprint(url)
  t.ok(first.columns.length > 50, 'tables were created')
  t.ok(
    first.triggers.some((r) => r.tgname === 'restores_guard_update'),
    'state-machine trigger exists',
  )
  await migrateDatabase(url)
  const second = await schemaFingerprint(url)
  t.same(second, first, 'second run changed nothing')
})

t.test('two services migrating the same empty database at once both succeed', async (t) => {
  const { url } = await createEmptyDatabase(t, { prefix: 'migrate_race' })
  await Promise.all([migrateDatabase(url), migrateDatabase(url), migrateDatabase(url)])
  const [row] = await adminQuery<{ n: number }>(url, 'SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations')
  const fingerprint = await schemaFingerprint(url)
  t.equal(row?.n, fingerprint.applied, 'each migration recorded once')
  t.ok((row?.n ?? 0) >= 2)
})
