// Drills end to end: the real API and two real runners, driven through the generated client. A drill
// run now restores the plan's newest completed backup into a fresh scratch database, verifies it
// (manifest made inside the dump's snapshot, plan checks), drops the scratch database and fills the
// plan's lastDrill; a second drill of a plan while one is open is refused; a drill fired by a
// one-minute drillSchedule through pg-boss's cron; a file plan's drill; and a scratch database left
// behind (as by a runner killed after its swap) dropped by the sweeper.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Schemas } from '@devpilot/api-client'
import {
  adminQuery,
  databaseUrl,
  dropDatabase,
  makeTar,
  pgDumpWithManifest,
  psql,
  scratchDir,
  startSystem,
  testEnv,
  uniqueName,
  waitFor,
} from '@devpilot/devenv/testing'
import t from 'tap'

type Restore = Schemas['Restore']

// Beyond the default 120 s: the scheduled drill waits for a cron minute, the sweeper for its minute.
t.setTimeout(15 * 60_000)
const env = testEnv()
const system = await startSystem(t)
const admin = system.client(system.admin.token)
const operator = system.client(system.operator.token)
const work = scratchDir(t, 'drill-artifacts')

function expectStatus<T>(result: { data?: T; error?: unknown; response: Response }, status: number, what: string): T {
  if (result.response.status !== status || result.data === undefined) {
    throw new Error(`${what}: expected ${status}, got ${result.response.status}: ${JSON.stringify(result.error)}`)
  }
  return result.data
}

async function getRestore(id: string): Promise<Restore> {
  return expectStatus(await operator.GET('/v1/restores/{id}', { params: { path: { id } } }), 200, 'get restore')
}

async function waitFinished(id: string, timeoutMs = 60_000): Promise<Restore> {
  return waitFor(
    () => getRestore(id),
    (r) => r.status === 'completed' || r.status === 'failed',
    { timeoutMs, intervalMs: 100, what: `drill ${id} to finish` },
  )
}

async function databaseExists(name: string): Promise<boolean> {
  return (await adminQuery(env.DEVPILOT_TEST_PG_URL, 'SELECT 1 FROM pg_database WHERE datname = $1', [name])).length > 0
}

const u = new URL(env.DEVPILOT_TEST_PG_URL)
const server = expectStatus(
  await admin.POST('/v1/servers', {
    body: {
      name: 'drills',
      host: u.hostname,
      port: Number(u.port),
      username: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
      sslmode: 'disable',
    },
  }),
  201,
  'server',
)
const destinationPath = join(system.destinationRoot, 'drills')
mkdirSync(destinationPath, { recursive: true })
const destination = expectStatus(await admin.POST('/v1/destinations', { body: { name: 'local', type: 'local', path: destinationPath } }), 201, 'destination')

// The producer's side: a source database, dumped with a manifest counted inside the dump's snapshot.
const sourceName = uniqueName('drillsrc')
await adminQuery(env.DEVPILOT_TEST_PG_URL, `CREATE DATABASE "${sourceName}"`)
t.teardown(() => dropDatabase(env.DEVPILOT_TEST_PG_URL, sourceName))
const sourceUrl = databaseUrl(env.DEVPILOT_TEST_PG_URL, sourceName)
await psql(
  sourceUrl,
  `CREATE TABLE invoices (id int PRIMARY KEY, paid boolean NOT NULL); INSERT INTO invoices SELECT i, i % 2 = 0 FROM generate_series(1, 500) i;`,
)
const manifest = await pgDumpWithManifest(sourceUrl, 'pg_custom', join(destinationPath, 'invoices.dump'))

async function databasePlan(verification: Schemas['PlanVerification'] | null): Promise<Schemas['Plan']> {
  const plan = expectStatus(
    await admin.POST('/v1/plans', {
      body: { name: uniqueName('invoices'), type: 'database', sourceDatabase: sourceName, destinationId: destination.id, verification },
    }),
    201,
    'plan',
  )
  expectStatus(
    await admin.POST('/v1/backups', { body: { planId: plan.id, format: 'pg_custom', artifactKey: 'invoices.dump', status: 'completed', manifest } }),
    201,
    'backup',
  )
  return plan
}

function scratchPattern(planId: string): RegExp {
  return new RegExp(`^drill_${planId.replace(/-/g, '').slice(0, 8)}_\\d{14}$`)
}

t.test('a drill run now restores into a scratch database, verifies it, drops it and fills lastDrill', async (t) => {
  const plan = await databasePlan({ checks: [{ name: 'half paid', sql: 'SELECT count(*) FILTER (WHERE paid) = 250 FROM invoices' }] })
  const newer = expectStatus(
    await admin.POST('/v1/backups', { body: { planId: plan.id, format: 'pg_custom', artifactKey: 'invoices.dump', status: 'completed', manifest } }),
    201,
    'newer backup',
  )
  const started = expectStatus(await operator.POST('/v1/plans/{id}/drills', { params: { path: { id: plan.id } }, body: { serverId: server.id } }), 202, 'drill')
  t.match(started, { drill: true, dryRun: false, status: 'pending', backupId: newer.id, target: { serverId: server.id, overwrite: false, path: null } })
  t.match(started.target.database, scratchPattern(plan.id), 'scratch database drill_<plan 8 hex>_<yyyymmddhhmmss>')
  const done = await waitFinished(started.id)
  t.equal(done.status, 'completed', JSON.stringify(done.error))
  t.equal(done.progress.stage, null, 'no stage once terminal')
  t.same(done.verification, {
    status: 'passed',
    checks: [
      { name: 'manifest', status: 'passed', message: "1 tables match the manifest's row counts" },
      { name: 'half paid', status: 'passed', message: 'returned true' },
    ],
    tables: [{ schema: 'public', name: 'invoices', rows: 500, expectedRows: 500 }],
  })
  const scratch = done.target.database ?? ''
  await waitFor(
    () => databaseExists(scratch),
    (exists) => !exists,
    { timeoutMs: 30_000, what: 'the scratch database to be dropped' },
  )
  const detail = expectStatus(await operator.GET('/v1/plans/{id}', { params: { path: { id: plan.id } } }), 200, 'plan detail')
  t.match(detail.lastDrill, { restoreId: started.id, status: 'completed', backupId: newer.id, startedAt: done.startedAt, completedAt: done.completedAt })
  t.ok(detail.lastDrill?.backupCompletedAt, 'the age of the data is measurable')
  const measured = (Date.parse(done.completedAt ?? '') - Date.parse(done.startedAt ?? '')) / 1000
  t.ok(
    detail.lastDrill?.durationSeconds !== null && Math.abs((detail.lastDrill?.durationSeconds ?? -1) - measured) < 0.01,
    'durationSeconds = completedAt - startedAt',
  )
  t.same(detail.lastDrill?.verification, done.verification)
  t.equal(detail.restoreSummary.total, 0, 'restoreSummary does not count drills')
  const listed = expectStatus(await operator.GET('/v1/plans/{id}/restores', { params: { path: { id: plan.id } } }), 200, 'plan restores')
  t.same(
    listed.items.map((r) => [r.id, r.drill]),
    [[started.id, true]],
    'drills are listed with the rest',
  )

  const noServer = await operator.POST('/v1/plans/{id}/drills', { params: { path: { id: plan.id } }, body: {} })
  t.equal(noServer.response.status, 422)
  t.equal(noServer.error?.errors?.[0]?.path, 'body.serverId', 'a database plan drills on a named server')
})

t.test('a second drill of a plan is refused with 409 conflict while one is open', async (t) => {
  // The first drill's check holds it in the verify stage long enough for the second request to meet it open.
  const plan = await databasePlan({ checks: [{ name: 'slow', sql: 'SELECT pg_sleep(8) IS NOT NULL' }] })
  const first = expectStatus(await operator.POST('/v1/plans/{id}/drills', { params: { path: { id: plan.id } }, body: { serverId: server.id } }), 202, 'first')
  await waitFor(
    () => getRestore(first.id),
    (r) => r.progress.stage === 'verify' || r.status !== 'pending',
    { timeoutMs: 30_000, intervalMs: 50, what: 'the first drill to run' },
  )
  const second = await operator.POST('/v1/plans/{id}/drills', { params: { path: { id: plan.id } }, body: { serverId: server.id } })
  t.equal(second.response.status, 409)
  t.equal(second.error?.code, 'conflict')
  t.match(second.error?.detail, /already pending or running/)
  const done = await waitFinished(first.id)
  t.equal(done.status, 'completed')
  const again = await operator.POST('/v1/plans/{id}/drills', { params: { path: { id: plan.id } }, body: { serverId: server.id } })
  t.equal(again.response.status, 202, 'a new drill once the first has finished')
  await waitFinished(again.data?.id ?? '')
})

t.test('a drill schedule fires drills through pg-boss cron', async (t) => {
  const plan = await databasePlan(null)
  const patched = await admin.PATCH('/v1/plans/{id}', {
    params: { path: { id: plan.id } },
    body: { drillSchedule: { cron: '* * * * *', serverId: server.id } },
  })
  t.equal(patched.response.status, 200)
  // Every minute; pg-boss checks its schedules every 30 s, so the first drill starts within about 90 s.
  const fired = await waitFor(
    async () => expectStatus(await operator.GET('/v1/plans/{id}/restores', { params: { path: { id: plan.id } } }), 200, 'plan restores').items,
    (items) => items.length > 0,
    { timeoutMs: 150_000, intervalMs: 1000, what: 'a scheduled drill' },
  )
  expectStatus(await admin.PATCH('/v1/plans/{id}', { params: { path: { id: plan.id } }, body: { drillSchedule: null } }), 200, 'unschedule')
  const drill = fired[0]
  if (!drill) throw new Error('no drill')
  t.match(drill, { drill: true, triggeredBy: { userId: system.admin.userId } }, 'recorded as triggered by the admin who set the schedule')
  const done = await waitFinished(drill.id)
  t.equal(done.status, 'completed', JSON.stringify(done.error))
  t.equal(done.verification?.status, 'passed', 'a drill always verifies (here: the manifest)')
  const detail = expectStatus(await operator.GET('/v1/plans/{id}', { params: { path: { id: plan.id } } }), 200, 'plan detail')
  t.equal(detail.lastDrill?.restoreId, drill.id)
})

t.test('a file plan drill extracts into a scratch folder, checks every member, and keep leaves it', async (t) => {
  const tree = join(work, 'tree')
  mkdirSync(join(tree, 'docs', 'deep'), { recursive: true })
  writeFileSync(join(tree, 'a.txt'), 'alpha')
  writeFileSync(join(tree, 'docs', 'deep', 'b.txt'), 'beta')
  await makeTar(tree, 'tar', join(destinationPath, 'tree.tar'))
  const plan = expectStatus(
    await admin.POST('/v1/plans', { body: { name: 'files', type: 'files', sourcePath: join(system.restoreRoot, 'site'), destinationId: destination.id } }),
    201,
    'file plan',
  )
  expectStatus(await admin.POST('/v1/backups', { body: { planId: plan.id, format: 'tar', artifactKey: 'tree.tar', status: 'completed' } }), 201, 'tar backup')
  const kept = expectStatus(await operator.POST('/v1/plans/{id}/drills', { params: { path: { id: plan.id } }, body: { keep: true } }), 202, 'file drill')
  t.equal(kept.target.path, join(system.restoreRoot, kept.target.path?.split('/').pop() ?? ''))
  t.match(kept.target.path?.split('/').pop(), scratchPattern(plan.id))
  const done = await waitFinished(kept.id)
  t.equal(done.status, 'completed', JSON.stringify(done.error))
  t.same(done.verification?.checks, [{ name: 'archive_members', status: 'passed', message: 'all 4 archive members arrived' }])
  t.equal(readFileSync(join(done.target.path ?? '', 'docs', 'deep', 'b.txt'), 'utf8'), 'beta', 'kept: the scratch folder stays')

  // Scratch names carry the second (DESIGN.md's drill_<plan>_<yyyymmddhhmmss>): a second drill in the
  // same second as a kept one would meet its folder. Known limit, noted; the test starts the next second.
  await new Promise((r) => setTimeout(r, 1100))
  const dropped = expectStatus(await operator.POST('/v1/plans/{id}/drills', { params: { path: { id: plan.id } }, body: {} }), 202, 'file drill 2')
  const done2 = await waitFinished(dropped.id)
  t.equal(done2.status, 'completed')
  // The scratch folder goes right after the drill is recorded.
  await waitFor(
    async () => existsSync(done2.target.path ?? ''),
    (exists) => !exists,
    { timeoutMs: 30_000, what: 'the scratch folder to be removed' },
  )
  t.notOk(existsSync(done2.target.path ?? ''), 'not kept: the scratch folder is removed')
  t.ok(existsSync(done.target.path ?? ''), 'the kept drill is not touched by the next one')
})

t.test('a scratch database a killed drill left behind is dropped by the sweeper', async (t) => {
  const plan = await databasePlan(null)
  const drill = expectStatus(await operator.POST('/v1/plans/{id}/drills', { params: { path: { id: plan.id } }, body: { serverId: server.id } }), 202, 'drill')
  const done = await waitFinished(drill.id)
  t.equal(done.status, 'completed')
  const scratch = done.target.database ?? ''
  await waitFor(
    () => databaseExists(scratch),
    (exists) => !exists,
    { timeoutMs: 30_000, what: 'the scratch database to be dropped' },
  )
  // What a runner SIGKILLed between recording the drill and dropping its scratch database leaves.
  await adminQuery(env.DEVPILOT_TEST_PG_URL, `CREATE DATABASE "${scratch}"`)
  t.teardown(() => dropDatabase(env.DEVPILOT_TEST_PG_URL, scratch))
  await waitFor(
    () => databaseExists(scratch),
    (exists) => !exists,
    { timeoutMs: 120_000, intervalMs: 500, what: 'the sweeper to drop the leftover scratch database' },
  )
  t.notOk(await databaseExists(scratch), 'the sweeper dropped it')
})
