// `pnpm demo`: one real restore end to end against a running `pnpm start`. It makes a sample shop
// database, dumps it with pg_dump into the local destination, registers the backup through the
// API (with a manifest counted in the dump's snapshot, and a plan check), restores it to a new
// database name, follows the restore's server-sent events with a progress bar, prints the runner's
// verification before the swap, and compares the restored data table by table with the source.
// Act 2 (demo-partial.ts) restores one table side by side to bring deleted rows back.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { createApiClient } from '@devpilot/api-client'
import { findOrCreateUser, findOrCreateWorkspace, insertApiToken, openDatabase } from '@devpilot/db'
import { generateApiToken } from '@devpilot/secrets'
import { z } from 'zod'
import { LOCAL_DESTINATIONS_ROOT } from '../local-env.js'
import { fileSize, pgDumpWithManifest, psql, sha256File } from '../testing/artifacts.js'
import { partialRestoreAct } from './demo-partial.js'

const env = z
  .object({ DATABASE_URL: z.string(), API_URL: z.string().default('http://127.0.0.1:3000'), LOCAL_DESTINATION_ROOTS: z.string().optional() })
  .parse(process.env)
const say = (line: string) => console.log(line)
const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14)
const sourceDb = `demo_shop_${stamp}`
const restoredDb = `${sourceDb}_restored`

const SAMPLE = `
  CREATE SCHEMA shop;
  CREATE TABLE shop.customers (id bigserial PRIMARY KEY, email text UNIQUE NOT NULL, name text NOT NULL, tags text[], joined timestamptz NOT NULL);
  CREATE TABLE shop.products (id serial PRIMARY KEY, sku text UNIQUE NOT NULL, title text NOT NULL, price numeric(12,2) NOT NULL, attrs jsonb, image bytea);
  CREATE TABLE shop.orders (id bigserial PRIMARY KEY, customer_id bigint NOT NULL REFERENCES shop.customers, placed timestamptz NOT NULL, total numeric(14,2) NOT NULL DEFAULT 0);
  CREATE TABLE shop.order_items (order_id bigint REFERENCES shop.orders ON DELETE CASCADE, product_id int REFERENCES shop.products, qty int NOT NULL CHECK (qty > 0), PRIMARY KEY (order_id, product_id));
  CREATE INDEX ON shop.orders (customer_id, placed DESC);
  CREATE VIEW shop.revenue_by_day AS SELECT date_trunc('day', placed) AS day, sum(total) AS revenue FROM shop.orders GROUP BY 1;
  INSERT INTO shop.customers (email, name, tags, joined)
    SELECT 'customer' || g || '@example.test', 'Customer ' || g, ARRAY['tier' || (g % 3)], timestamptz '2026-01-01' + g * interval '17 minutes' FROM generate_series(1, 20000) g;
  INSERT INTO shop.products (sku, title, price, attrs, image)
    SELECT 'SKU-' || g, 'Product ' || g, (g % 500) + 0.99, jsonb_build_object('color', (ARRAY['red','green','blue'])[g % 3 + 1], 'weight', g * 1.5), decode(md5(g::text), 'hex') FROM generate_series(1, 2000) g;
  INSERT INTO shop.orders (customer_id, placed)
    SELECT (g % 20000) + 1, timestamptz '2026-06-01' + g * interval '3 minutes' FROM generate_series(1, 60000) g;
  INSERT INTO shop.order_items SELECT o, (o * 7 + k) % 2000 + 1, k + 1 FROM generate_series(1, 60000) o, generate_series(0, 2) k;
  UPDATE shop.orders o SET total = s.total FROM (SELECT order_id, sum(qty * p.price) AS total FROM shop.order_items i JOIN shop.products p ON p.id = i.product_id GROUP BY order_id) s WHERE s.order_id = o.id;
`
const TABLES = ['shop.customers', 'shop.products', 'shop.orders', 'shop.order_items']

function databaseUrl(name: string): string {
  const url = new URL(env.DATABASE_URL)
  url.pathname = `/${name}`
  return url.toString()
}

async function fingerprint(database: string, table: string): Promise<string> {
  const out = await psql(
    databaseUrl(database),
    `SELECT count(*) || ' rows, md5 ' || md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM ${table} t`,
  )
  return out.trim()
}

function bar(done: number, total: number | null): string {
  if (!total) return `${(done / 1048576).toFixed(1)} MiB`
  const width = 30
  const filled = Math.min(width, Math.round((done / total) * width))
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round((done / total) * 100)}% ${(done / 1048576).toFixed(1)}/${(total / 1048576).toFixed(1)} MiB`
}

const RestoreEvent = z.object({
  status: z.string(),
  progress: z.object({ bytesDone: z.number(), bytesTotal: z.number().nullable(), stage: z.string().nullable(), etaSeconds: z.number().nullable() }),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
})

/** `stage` and ETA as a person reads them on the progress line. */
function stageAndEta(progress: z.infer<typeof RestoreEvent>['progress']): string {
  const eta = progress.etaSeconds === null ? '' : ` eta ${progress.etaSeconds}s`
  return `${(progress.stage ?? '').padEnd(9)}${eta.padEnd(10)}`
}

/** Follows GET /v1/restores/{id}/events until the terminal event; returns the final restore. */
async function follow(restoreId: string, token: string): Promise<z.infer<typeof RestoreEvent>> {
  const res = await fetch(`${env.API_URL}/v1/restores/${restoreId}/events`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } })
  if (!res.ok || !res.body) throw new Error(`events stream answered ${res.status}`)
  let buffer = ''
  let last: z.infer<typeof RestoreEvent> | undefined
  const decoder = new TextDecoder()
  for await (const chunk of res.body) {
    buffer += decoder.decode(chunk, { stream: true })
    let idx = buffer.indexOf('\n\n')
    while (idx >= 0) {
      const block = buffer.slice(0, idx)
      buffer = buffer.slice(idx + 2)
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trim())
        .join('')
      if (data) {
        last = RestoreEvent.parse(JSON.parse(data))
        process.stdout.write(`\r  ${last.status.padEnd(12)} ${stageAndEta(last.progress)} ${bar(last.progress.bytesDone, last.progress.bytesTotal)}   `)
      }
      idx = buffer.indexOf('\n\n')
    }
  }
  process.stdout.write('\n')
  if (!last) throw new Error('the event stream ended without an event')
  return last
}

// 1. A token for the demo workspace (straight into the database, as `pnpm admin` would).
const database = openDatabase(env.DATABASE_URL, { max: 2 })
const workspace = await findOrCreateWorkspace(database.db, { slug: 'demo' })
const user = await findOrCreateUser(database.db, { workspaceId: workspace.id, email: 'demo@devpilot.local', role: 'admin' })
const { token, hash } = generateApiToken()
await insertApiToken(database.db, { workspaceId: workspace.id, userId: user.id, tokenHash: hash, name: 'pnpm demo' })
await database.close()
const api = createApiClient({ baseUrl: env.API_URL, token })

// 2. A sample database and a real pg_dump of it in the local destination.
say(`1/5 creating sample database ${sourceDb} (20k customers, 60k orders, 180k order items)`)
await psql(databaseUrl('postgres'), `CREATE DATABASE ${sourceDb}`)
await psql(databaseUrl(sourceDb), SAMPLE)
const destinationDir = join(env.LOCAL_DESTINATION_ROOTS?.split(':')[0] ?? LOCAL_DESTINATIONS_ROOT, 'demo')
mkdirSync(destinationDir, { recursive: true })
const artifactKey = `${sourceDb}.dump`
say(`2/5 pg_dump --format=custom → ${join(destinationDir, artifactKey)}, with a manifest of row counts taken in the dump's snapshot`)
const artifact = join(destinationDir, artifactKey)
const manifest = await pgDumpWithManifest(databaseUrl(sourceDb), 'pg_custom', artifact)

// 3. Register server, destination, plan and backup through the API.
say('3/5 registering server, destination, plan and backup through the API')
const pg = new URL(env.DATABASE_URL)
function must<T>(result: { data?: T; error?: unknown; response: Response }, what: string): T {
  if (result.data === undefined) throw new Error(`${what} failed (${result.response.status}): ${JSON.stringify(result.error)}`)
  return result.data
}
const server = must(
  await api.POST('/v1/servers', {
    body: {
      name: `local ${stamp}`,
      host: pg.hostname,
      port: Number(pg.port),
      username: decodeURIComponent(pg.username),
      password: decodeURIComponent(pg.password),
      sslmode: 'disable',
    },
  }),
  'create server',
)
const destination = must(await api.POST('/v1/destinations', { body: { name: `demo ${stamp}`, type: 'local', path: destinationDir } }), 'create destination')
const plan = must(
  await api.POST('/v1/plans', {
    body: {
      name: `shop nightly ${stamp}`,
      type: 'database',
      sourceServerId: server.id,
      sourceDatabase: sourceDb,
      destinationId: destination.id,
      verification: {
        checks: [
          {
            name: 'order totals add up',
            sql: 'SELECT bool_and(o.total = s.total) FROM shop.orders o JOIN (SELECT order_id, sum(qty * p.price) AS total FROM shop.order_items i JOIN shop.products p ON p.id = i.product_id GROUP BY order_id) s ON s.order_id = o.id',
          },
        ],
      },
    },
  }),
  'create plan',
)
const backup = must(
  await api.POST('/v1/backups', {
    body: {
      planId: plan.id,
      format: 'pg_custom',
      artifactKey,
      status: 'completed',
      sizeBytes: fileSize(artifact),
      sha256: await sha256File(artifact),
      manifest,
    },
  }),
  'register backup',
)

// 4. Preview first (a dry run: checks and change list, nothing touched), then restore and follow it.
say(`4/5 previewing the restore of backup ${backup.id} to database ${restoredDb}`)
const dry = must(
  await api.POST('/v1/backups/{id}/restores', { params: { path: { id: backup.id } }, body: { targetDatabase: restoredDb, dryRun: true } }),
  'start preview',
)
const previewed = await follow(dry.id, token)
const preview = must(await api.GET('/v1/restores/{id}', { params: { path: { id: dry.id } } }), 'get preview')
if (previewed.status !== 'completed' || !preview.preview) {
  say(`preview ${dry.id} ended ${previewed.status}: ${previewed.error?.code} — ${previewed.error?.message}`)
  process.exit(1)
}
for (const check of preview.checks) say(`  ${check.status.padEnd(8)} ${check.name.padEnd(18)} ${check.message}`)
const changes = preview.preview.changes
say(
  `  verdict ${preview.preview.verdict}; ${changes ? `${changes.create} to create, ${changes.replace} to replace, ${changes.drop} to drop` : 'no change list'}`,
)
say(`  ${'action'.padEnd(8)} ${'kind'.padEnd(18)} ${'name'.padEnd(40)} rows now`)
for (const item of changes?.items ?? []) say(`  ${item.action.padEnd(8)} ${item.kind.padEnd(18)} ${item.name.padEnd(40)} ${item.rowsNow ?? ''}`)
if (changes?.truncated) say('  … (more items than the preview lists)')
say(`  restoring to ${restoredDb}`)
const started = must(
  await api.POST('/v1/backups/{id}/restores', { params: { path: { id: backup.id } }, body: { targetDatabase: restoredDb } }),
  'start restore',
)
const final = await follow(started.id, token)
if (final.status !== 'completed') {
  say(`restore ${started.id} ended ${final.status}: ${final.error?.code} — ${final.error?.message}`)
  process.exit(1)
}

// 5. Verify: the restored database equals the source, table by table.
say('5/5 verifying the restored data against the source')
let same = true
for (const table of TABLES) {
  const [a, b] = await Promise.all([fingerprint(sourceDb, table), fingerprint(restoredDb, table)])
  const ok = a === b
  same &&= ok
  say(`  ${ok ? 'ok ' : 'DIFF'} ${table.padEnd(18)} ${b}${ok ? '' : `  (source: ${a})`}`)
}
const detail = must(await api.GET('/v1/restores/{id}', { params: { path: { id: started.id } } }), 'get restore')
const verification = detail.verification
say(`  verification before the swap: ${verification?.status ?? 'not run'}`)
for (const check of verification?.checks ?? []) say(`    ${check.status === 'passed' ? 'ok  ' : 'FAIL'} ${check.name}: ${check.message}`)
for (const table of verification?.tables ?? [])
  say(`    ${`${table.schema}.${table.name}`.padEnd(18)} ${table.rows} rows (manifest: ${table.expectedRows ?? '-'})`)
say(`\nrestore ${detail.id}: ${detail.status}, ${detail.startedAt} → ${detail.completedAt}, by ${detail.triggeredBy.email}`)
say(same ? `verified: ${restoredDb} matches ${sourceDb} row for row.` : 'MISMATCH: the restored data differs from the source.')
say(`see it: ${env.API_URL}/v1/backups/${backup.id} (token: ${token})`)
if (!same || verification?.status !== 'passed') process.exit(1)
// Act 2 (demo-partial.ts): a partial restore of one table, side by side, to get deleted rows back.
const partialOk = await partialRestoreAct({ api, backupId: backup.id, sourceDb, stamp, databaseUrl, follow: (id) => follow(id, token), say })
say(partialOk ? 'act 2: every deleted order came back.' : 'act 2: MISMATCH, the deleted orders did not all come back.')
process.exit(partialOk ? 0 : 1)
