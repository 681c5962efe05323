// One active restore per physical target, also when the records do not say it is the same target:
// two server rows for one host:port, and nested paths. Runs never interleave (read from the audit
// trail, in commit order), and every restore still completes.
import { join } from 'node:path'
import { adminQuery, databaseUrl, dropDatabase, makeTar, pgDump, psql, scratchDir, testEnv, uniqueName } from '@devpilot/devenv/testing'
import t from 'tap'
import { createHarness } from './harness.js'

const env = testEnv()
const h = await createHarness(t)
await h.startRunner({ RUNNER_CONCURRENCY: '4', RUNNER_TARGET_BUSY_RETRY_SECONDS: '0.2' })
const destination = await h.localDestination()

/** From the status changes in commit order: restores that started while another was running, and how many completed. */
async function overlapsAndCompletions(ids: string[]): Promise<{ overlaps: string[]; completed: number }> {
  const rows = await h.db.sql<{ restore_id: string; to_status: string }[]>`
    SELECT restore_id, to_status FROM restore_transitions WHERE restore_id IN ${h.db.sql(ids)} AND from_status IS NOT NULL ORDER BY id`
  const overlaps: string[] = []
  let running: string | null = null
  for (const row of rows) {
    if (row.to_status === 'in_progress') {
      if (running !== null) overlaps.push(`${row.restore_id} started while ${running} was running`)
      running = row.restore_id
    } else if (running === row.restore_id) running = null
  }
  return { overlaps, completed: rows.filter((r) => r.to_status === 'completed').length }
}

t.test('two server rows for one host: restores into the same database never run at once', async (t) => {
  const source = uniqueName('alias_src')
  const target = uniqueName('alias_dst')
  await adminQuery(env.DEVPILOT_TEST_PG_URL, `CREATE DATABASE "${source}"`)
  t.teardown(async () => {
    await dropDatabase(env.DEVPILOT_TEST_PG_URL, source)
    await dropDatabase(env.DEVPILOT_TEST_PG_URL, target)
  })
  await psql(databaseUrl(env.DEVPILOT_TEST_PG_URL, source), 'CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 20000) g;')
  await pgDump(databaseUrl(env.DEVPILOT_TEST_PG_URL, source), 'pg_custom', join(destination.path, 'alias.dump'))
  const serverA = await h.server(env.DEVPILOT_TEST_PG_URL, { name: 'by-ip' })
  const serverB = await h.server(env.DEVPILOT_TEST_PG_URL, { name: 'same-host-again' })
  const planId = await h.databasePlan({ sourceServerId: serverA, sourceDatabase: source, destinationId: destination.id })
  const backupId = await h.backup({ planId, format: 'pg_custom', artifactKey: 'alias.dump', file: join(destination.path, 'alias.dump') })
  const ids = await Promise.all(
    [serverA, serverB, serverA, serverB].map((serverId) => h.restore({ backupId, planId, targetServerId: serverId, targetDatabase: target, overwrite: true })),
  )
  await Promise.all(ids.map((id) => h.waitTerminal(id, 60_000)))
  t.same(await overlapsAndCompletions(ids), { overlaps: [], completed: ids.length })
  t.equal(await psql(databaseUrl(env.DEVPILOT_TEST_PG_URL, target), 'SELECT count(*) FROM t'), '20000')
})

t.test('nested target paths (/x and /x/sub) never run at once; sibling paths may', async (t) => {
  const tree = scratchDir(t, 'alias-tree')
  await psql(env.DEVPILOT_TEST_PG_URL, 'SELECT 1')
  const { writeFileSync } = await import('node:fs')
  writeFileSync(join(tree, 'file.txt'), 'hello')
  await makeTar(tree, 'tar_gz', join(destination.path, 'tree.tgz'))
  const planId = await h.filesPlan({ sourcePath: join(h.filesRoot, 'x'), destinationId: destination.id })
  const backupId = await h.backup({ planId, format: 'tar_gz', artifactKey: 'tree.tgz', file: join(destination.path, 'tree.tgz') })
  const outer = join(h.filesRoot, uniqueName('x'))
  const ids = await Promise.all(
    [outer, join(outer, 'sub'), outer, join(outer, 'sub')].map((targetPath) => h.restore({ backupId, planId, targetPath, overwrite: true })),
  )
  await Promise.all(ids.map((id) => h.waitTerminal(id, 60_000)))
  t.same(await overlapsAndCompletions(ids), { overlaps: [], completed: ids.length })
})
