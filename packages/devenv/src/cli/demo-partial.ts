// `pnpm demo`, second act: the restore people need most is not "the whole database back" but "the
// rows someone deleted last night". It deletes orders from the live source database, restores just
// `shop.orders` from the backup side by side into a new schema (`targetSchema`) of that same live
// database, shows the rows that came back, and copies them home with one INSERT.
import type { createApiClient } from '@devpilot/api-client'
import { psql } from '../testing/artifacts.js'

export interface PartialActParams {
  api: ReturnType<typeof createApiClient>
  backupId: string
  sourceDb: string
  stamp: string
  databaseUrl(name: string): string
  follow(restoreId: string): Promise<{ status: string; error: { code: string; message: string } | null }>
  say(line: string): void
}

/** Runs the act; true when the deleted rows came back exactly. */
export async function partialRestoreAct(p: PartialActParams): Promise<boolean> {
  const live = p.databaseUrl(p.sourceDb)
  const schema = `recovered_${p.stamp}`
  p.say("\nact 2: someone deleted last night's orders")
  const deleted = (
    await psql(live, "WITH d AS (DELETE FROM shop.orders WHERE placed >= '2026-06-20' AND placed < '2026-06-21' RETURNING 1) SELECT count(*) FROM d")
  ).trim()
  p.say(`  deleted ${deleted} orders (and their items) from ${p.sourceDb}.shop.orders`)

  p.say(`  restoring only shop.orders from backup ${p.backupId} into the new schema ${schema}, next to the live data`)
  const res = await p.api.POST('/v1/backups/{id}/restores', {
    params: { path: { id: p.backupId } },
    body: { targetDatabase: p.sourceDb, include: { tables: ['shop.orders'] }, targetSchema: schema },
  })
  if (!res.data) throw new Error(`start partial restore: ${JSON.stringify(res.error)}`)
  const final = await p.follow(res.data.id)
  if (final.status !== 'completed') {
    p.say(`  partial restore ${res.data.id} ended ${final.status}: ${final.error?.code} — ${final.error?.message}`)
    return false
  }
  const missing = `FROM ${schema}.orders r WHERE NOT EXISTS (SELECT 1 FROM shop.orders o WHERE o.id = r.id)`
  const back = (await psql(live, `SELECT count(*) ${missing}`)).trim()
  p.say(`  ${back} of the deleted orders are in ${schema}.orders; the first three:`)
  for (const line of (
    await psql(live, `SELECT '    #' || id || '  customer ' || customer_id || '  ' || placed || '  ' || total ${missing} ORDER BY id LIMIT 3`)
  ).split('\n')) {
    if (line.trim()) p.say(line)
  }
  const copied = (await psql(live, `WITH c AS (INSERT INTO shop.orders SELECT r.* ${missing} RETURNING 1) SELECT count(*) FROM c`)).trim()
  p.say(`  copied ${copied} orders back into shop.orders with one INSERT … SELECT; drop ${schema} when done`)
  return back === deleted && copied === deleted
}
