// End to end: the real API and two real runner processes against one product database, driven
// only through the generated OpenAPI client (and the SSE endpoint through fetch), with real
// artifacts — pg_dump into the S3 server, tar into a local destination — restored by the real
// tools into the two test clusters and the file roots. Assertions compare restored data with the
// source by query and by tree walk, not by counts.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Schemas } from '@devpilot/api-client'
// The kit's fixtures, shared with the runner tests: a source database with the shapes that break
// naive restores plus a table-by-table, object-by-object fingerprint, and a file tree with modes,
// unicode names and in-tree symlinks plus a complete description of a tree.
import {
  adminQuery,
  buildTree,
  createFixtureDatabase,
  createFixtureRoles,
  createTestBucket,
  databaseUrl,
  describeTree,
  dropDatabase,
  fileSize,
  fingerprint,
  makeTar,
  openRestoreEvents,
  pgDump,
  psql,
  scratchDir,
  sha256File,
  startSystem,
  type Teardown,
  tableOwner,
  testEnv,
  uniqueName,
  waitFor,
} from '@devpilot/devenv/testing'
import t from 'tap'

type Restore = Schemas['Restore']

const env = testEnv()
const system = await startSystem(t)
const admin = system.client(system.admin.token)
const operator = system.client(system.operator.token)
const bucket = await createTestBucket(t, 'e2e')
const work = scratchDir(t, 'e2e-artifacts')

/** Unwraps an openapi-fetch result, failing with the problem document when the status is not the expected one. */
function expectStatus<T>(result: { data?: T; error?: unknown; response: Response }, status: number, what: string): T {
  if (result.response.status !== status || result.data === undefined) {
    throw new Error(`${what}: expected ${status}, got ${result.response.status}: ${JSON.stringify(result.error)}`)
  }
  return result.data
}

async function waitFinished(restoreId: string): Promise<Restore> {
  return waitFor(
    async () => expectStatus(await operator.GET('/v1/restores/{id}', { params: { path: { id: restoreId } } }), 200, 'get restore'),
    (r) => r.status === 'completed' || r.status === 'failed',
    { timeoutMs: 30_000, intervalMs: 50, what: `restore ${restoreId} to finish` },
  )
}

async function startRestore(backupId: string, body: Schemas['RestoreStart']): Promise<Restore> {
  return expectStatus(await operator.POST('/v1/backups/{id}/restores', { params: { path: { id: backupId } }, body }), 202, 'start restore')
}

async function registerServer(clusterUrl: string, name: string): Promise<Schemas['Server']> {
  const u = new URL(clusterUrl)
  const body = {
    name,
    host: u.hostname,
    port: Number(u.port),
    username: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    sslmode: 'disable' as const,
  }
  return expectStatus(await admin.POST('/v1/servers', { body }), 201, 'register server')
}

async function databaseExists(clusterUrl: string, name: string): Promise<boolean> {
  const rows = await adminQuery(clusterUrl, 'SELECT 1 FROM pg_database WHERE datname = $1', [name])
  return rows.length > 0
}

/** A database name on the staging cluster for one restore, dropped when the test ends. */
function stagingDatabase(tt: Teardown, prefix: string): string {
  const name = uniqueName(prefix)
  tt.teardown(() => dropDatabase(env.DEVPILOT_TEST_PG2_URL, name))
  return name
}

// ---- What a backup producer would have set up: servers, an S3 destination, a plan and a real
// pg_dump of the source database uploaded to the bucket, registered as a completed backup.
const roles = await createFixtureRoles(env.DEVPILOT_TEST_PG_URL)
const source = await createFixtureDatabase(env.DEVPILOT_TEST_PG_URL, roles, uniqueName('e2e_app'))
t.teardown(() => dropDatabase(env.DEVPILOT_TEST_PG_URL, source.name))
const expected = await fingerprint(source.url)

const mainServer = await registerServer(env.DEVPILOT_TEST_PG_URL, uniqueName('production'))
const stagingServer = await registerServer(env.DEVPILOT_TEST_PG2_URL, uniqueName('staging'))
const s3Destination = expectStatus(
  await admin.POST('/v1/destinations', {
    body: {
      name: uniqueName('s3'),
      type: 's3',
      bucket: bucket.name,
      region: bucket.region,
      endpoint: bucket.endpoint,
      forcePathStyle: true,
      prefix: 'devpilot/',
      accessKeyId: bucket.accessKeyId,
      secretAccessKey: bucket.secretAccessKey,
    },
  }),
  201,
  'register s3 destination',
)
const databasePlan = expectStatus(
  await admin.POST('/v1/plans', {
    body: { name: uniqueName('app nightly'), type: 'database', sourceServerId: mainServer.id, sourceDatabase: source.name, destinationId: s3Destination.id },
  }),
  201,
  'create database plan',
)
const dumpFile = join(work, 'app.dump')
await pgDump(source.url, 'pg_custom', dumpFile)
const dumpKey = `${source.name}/${Date.now()}.dump`
await bucket.upload(`devpilot/${dumpKey}`, dumpFile)
const dumpSize = fileSize(dumpFile)
const dumpSha256 = await sha256File(dumpFile)

async function registerDumpBackup(planId: string, artifactKey = dumpKey): Promise<Schemas['Backup']> {
  return expectStatus(
    await admin.POST('/v1/backups', {
      body: { planId, format: 'pg_custom', artifactKey, status: 'completed', sizeBytes: dumpSize, sha256: dumpSha256 },
    }),
    201,
    'register backup',
  )
}
const databaseBackup = await registerDumpBackup(databasePlan.id)

t.test('overwrite restores the original database exactly as backed up after a bad deploy, and drops what the deploy added', async (t) => {
  await psql(
    source.url,
    `ALTER TABLE public.items DROP COLUMN big;
     DELETE FROM app2.orders WHERE id % 3 = 0;
     UPDATE public.items SET name = name || ' (v2)' WHERE id <= 10;
     CREATE TABLE public.deploy_junk (id int PRIMARY KEY, note text);
     INSERT INTO public.deploy_junk SELECT g, 'junk ' || g FROM generate_series(1, 50) g;`,
  )
  t.not(JSON.stringify(await fingerprint(source.url)), JSON.stringify(expected), 'the bad deploy changed the database')

  const started = await startRestore(databaseBackup.id, { overwrite: true })
  t.equal(started.status, 'pending')
  t.same(started.target, { serverId: mainServer.id, database: source.name, path: null, overwrite: true }, "the target defaults to the plan's source")
  t.equal(started.triggeredBy.email, system.operator.email)

  const done = await waitFinished(started.id)
  t.equal(done.status, 'completed', `restore ended ${done.status}: ${JSON.stringify(done.error)}`)
  t.equal(done.error, null)
  t.same(
    done.progress,
    { bytesDone: dumpSize, bytesTotal: dumpSize, stage: null, etaSeconds: null },
    'every byte of the artifact was streamed; no stage once terminal',
  )
  t.ok(done.startedAt && done.completedAt && done.startedAt <= done.completedAt)

  t.same(await fingerprint(source.url), expected, 'every table, row, sequence and object is back as it was before the deploy')
  t.equal(await psql(source.url, "SELECT coalesce(to_regclass('public.deploy_junk')::text, 'gone')"), 'gone', 'the junk table is gone')
  t.equal(
    await psql(source.url, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'big'"),
    '1',
    'the dropped column is back',
  )
  t.equal(await tableOwner(source.url, 'public.owned'), roles.owner, "ownership is kept when restoring to the plan's own server")
})

t.test('a restore to the staging server under a new name copies the backup there and leaves the source alone', async (t) => {
  const target = stagingDatabase(t, 'e2e_staging')
  const started = await startRestore(databaseBackup.id, { targetServerId: stagingServer.id, targetDatabase: target })
  t.same(started.target, { serverId: stagingServer.id, database: target, path: null, overwrite: false })

  const done = await waitFinished(started.id)
  t.equal(done.status, 'completed', `restore ended ${done.status}: ${JSON.stringify(done.error)}`)
  const stagingUrl = databaseUrl(env.DEVPILOT_TEST_PG2_URL, target)
  t.same(await fingerprint(stagingUrl), expected, 'the staging copy equals the backed-up source row for row')
  t.equal(
    await tableOwner(stagingUrl, 'public.owned'),
    decodeURIComponent(new URL(env.DEVPILOT_TEST_PG2_URL).username),
    "on another server objects belong to the server's user (the source's roles do not exist there)",
  )
  t.same(await fingerprint(source.url), expected, 'the source database was not touched')
})

t.test('a tar_gz file backup restores to a new path under the restore root with names, contents, modes and symlinks intact', async (t) => {
  const destinationDir = join(system.destinationRoot, uniqueName('files'))
  mkdirSync(destinationDir)
  const destination = expectStatus(
    await admin.POST('/v1/destinations', { body: { name: uniqueName('local'), type: 'local', path: destinationDir } }),
    201,
    'register local destination',
  )
  const tree = join(scratchDir(t, 'e2e-tree'), 'www')
  mkdirSync(tree)
  buildTree(tree)
  const archive = join(destinationDir, 'www.tar.gz')
  await makeTar(tree, 'tar_gz', archive)
  const plan = expectStatus(
    await admin.POST('/v1/plans', { body: { name: uniqueName('www files'), type: 'files', sourcePath: tree, destinationId: destination.id } }),
    201,
    'create files plan',
  )
  const backup = expectStatus(
    await admin.POST('/v1/backups', {
      body: {
        planId: plan.id,
        format: 'tar_gz',
        artifactKey: 'www.tar.gz',
        status: 'completed',
        sizeBytes: fileSize(archive),
        sha256: await sha256File(archive),
      },
    }),
    201,
    'register files backup',
  )

  const targetPath = join(system.restoreRoot, uniqueName('www-restored'))
  const started = await startRestore(backup.id, { targetPath })
  t.same(started.target, { serverId: null, database: null, path: targetPath, overwrite: false })
  const done = await waitFinished(started.id)
  t.equal(done.status, 'completed', `restore ended ${done.status}: ${JSON.stringify(done.error)}`)

  // The runner strips setuid/setgid bits on purpose (docs/restore-semantics.md); every other mode
  // bit, every content and every link target must come back unchanged.
  const want = describeTree(tree)
  t.equal(want['setuid-tool']?.startsWith('file 4755 '), true, 'the source has a setuid file')
  want['setuid-tool'] = want['setuid-tool']?.replace('file 4755 ', 'file 755 ') ?? ''
  t.same(describeTree(targetPath), want, 'the restored tree equals the source tree')
})

t.test('a restore of a backup that is not completed is refused with backup_not_restorable and leaves no record', async (t) => {
  const attempts: Array<{ status: string; code: unknown; httpStatus: number; contentType: string | null }> = []
  const tryRestore = async (backup: Schemas['Backup']) => {
    const result = await operator.POST('/v1/backups/{id}/restores', { params: { path: { id: backup.id } }, body: { targetDatabase: 'never' } })
    attempts.push({
      status: backup.status,
      code: result.error?.code,
      httpStatus: result.response.status,
      contentType: result.response.headers.get('content-type'),
    })
  }
  // The producer's integration: a run registered as pending, then moving on until it failed; and a
  // run registered as cancelled. At every step a restore is refused.
  let running = expectStatus(
    await admin.POST('/v1/backups', { body: { planId: databasePlan.id, format: 'pg_custom', artifactKey: `${source.name}/running.dump` } }),
    201,
    'register pending backup',
  )
  await tryRestore(running)
  running = expectStatus(
    await admin.PATCH('/v1/backups/{id}', { params: { path: { id: running.id } }, body: { status: 'in_progress' } }),
    200,
    'backup in progress',
  )
  await tryRestore(running)
  running = expectStatus(
    await admin.PATCH('/v1/backups/{id}', {
      params: { path: { id: running.id } },
      body: { status: 'failed', error: { code: 'pg_dump_failed', message: 'disk full' } },
    }),
    200,
    'backup failed',
  )
  await tryRestore(running)
  const cancelled = expectStatus(
    await admin.POST('/v1/backups', {
      body: { planId: databasePlan.id, format: 'pg_custom', artifactKey: `${source.name}/cancelled.dump`, status: 'cancelled' },
    }),
    201,
    'register cancelled backup',
  )
  await tryRestore(cancelled)

  t.same(
    attempts,
    ['pending', 'in_progress', 'failed', 'cancelled'].map((status) => ({
      status,
      code: 'backup_not_restorable',
      httpStatus: 409,
      contentType: 'application/problem+json; charset=utf-8',
    })),
  )
  for (const backup of [running, cancelled]) {
    const own = expectStatus(await operator.GET('/v1/backups/{id}/restores', { params: { path: { id: backup.id } } }), 200, 'backup restores')
    t.same(own, { items: [], nextCursor: null }, `no restore record for the ${backup.status} backup`)
    const all = expectStatus(await operator.GET('/v1/restores', { params: { query: { backupId: backup.id } } }), 200, 'restores by backup')
    t.same(all.items, [], 'the workspace-wide list shows none either')
    const detail = expectStatus(await operator.GET('/v1/backups/{id}', { params: { path: { id: backup.id } } }), 200, 'backup detail')
    t.same(detail.restores.items, [], 'and the backup detail has an empty restore history')
  }
})

t.test('the plan detail counts its restores per status, including a failed one, and lists them newest first', async (t) => {
  const plan = expectStatus(
    await admin.POST('/v1/plans', {
      body: { name: uniqueName('summary'), type: 'database', sourceServerId: mainServer.id, sourceDatabase: source.name, destinationId: s3Destination.id },
    }),
    201,
    'create plan',
  )
  const empty = expectStatus(await operator.GET('/v1/plans/{id}', { params: { path: { id: plan.id } } }), 200, 'plan detail')
  t.same(empty.restoreSummary, { total: 0, pending: 0, inProgress: 0, completed: 0, failed: 0, lastRestoreAt: null })

  const good = await registerDumpBackup(plan.id)
  const missing = await registerDumpBackup(plan.id, `${source.name}/never-uploaded.dump`)
  const missingTarget = stagingDatabase(t, 'e2e_missing')
  const first = await startRestore(good.id, { targetServerId: stagingServer.id, targetDatabase: stagingDatabase(t, 'e2e_summary') })
  const second = await startRestore(missing.id, { targetServerId: stagingServer.id, targetDatabase: missingTarget })
  const third = await startRestore(good.id, { targetServerId: stagingServer.id, targetDatabase: stagingDatabase(t, 'e2e_summary') })
  const finished = await Promise.all([first, second, third].map((r) => waitFinished(r.id)))
  t.same(
    finished.map((r) => [r.status, r.error?.code ?? null]),
    [
      ['completed', null],
      ['failed', 'artifact_missing'],
      ['completed', null],
    ],
  )
  t.equal(await databaseExists(env.DEVPILOT_TEST_PG2_URL, missingTarget), false, 'the failed restore created no database')

  const detail = expectStatus(await operator.GET('/v1/plans/{id}', { params: { path: { id: plan.id } } }), 200, 'plan detail')
  t.same(detail.restoreSummary, { total: 3, pending: 0, inProgress: 0, completed: 2, failed: 1, lastRestoreAt: third.createdAt })

  const listed = expectStatus(await operator.GET('/v1/plans/{id}/restores', { params: { path: { id: plan.id } } }), 200, 'plan restores')
  t.same(
    listed.items.map((r) => r.id),
    [third.id, second.id, first.id],
    'every restore of every backup of the plan, newest first',
  )
  t.equal(listed.nextCursor, null)
  t.same(listed.items, [...finished].reverse(), 'the list shows each restore as it ended')
  const byPlan = expectStatus(await operator.GET('/v1/restores', { params: { query: { planId: plan.id } } }), 200, 'restores by plan')
  t.same(
    byPlan.items.map((r) => r.id),
    [third.id, second.id, first.id],
  )
})

t.test('the event stream delivers pending, in_progress and completed in order and ends after the terminal state', async (t) => {
  // A restore of a small dump is claimed ~10 ms after it is accepted, before a client can open
  // its stream, so `pending` would usually be over at subscription time. To observe every
  // transition without weakening the assertion, both runners are frozen (SIGSTOP: the processes
  // stay connected but cannot claim) while the restore is accepted and the stream opened, then
  // thawed. The stream's first event is then the pending state for certain, and everything after
  // it is the runner's real work. The audit table is checked to hold exactly these transitions.
  const target = stagingDatabase(t, 'e2e_sse')
  for (const runner of system.runners) runner.freeze()
  const { started, stream } = await (async () => {
    try {
      const started = await startRestore(databaseBackup.id, { targetServerId: stagingServer.id, targetDatabase: target })
      return { started, stream: await openRestoreEvents(system.baseUrl, system.operator.token, started.id) }
    } finally {
      for (const runner of system.runners) runner.thaw()
    }
  })()
  const events: Restore[] = []
  const deadline = setTimeout(() => stream.close(), 30_000)
  try {
    for (let event = await stream.next(); event !== null; event = await stream.next()) events.push(event)
  } finally {
    clearTimeout(deadline)
  }

  const statuses = events.map((e) => e.status)
  t.equal(statuses[0], 'pending', 'the first event is the state at subscription')
  t.same(
    statuses.filter((s, i) => s !== statuses[i - 1]),
    ['pending', 'in_progress', 'completed'],
    `each status appears, in order (events: ${statuses.join(', ')})`,
  )
  t.equal(events.at(-1)?.status, 'completed', 'the last event is terminal, and the server ended the stream after it')
  t.same(events.at(-1), await waitFinished(started.id), 'the last event is the final state of the restore')
  const done = events.map((e) => e.progress.bytesDone)
  t.same(
    done,
    [...done].sort((a, b) => a - b),
    'progress never goes backwards',
  )
  t.equal(done.at(-1), dumpSize)
  for (const e of events) {
    t.equal(e.id, started.id)
    if (e.status === 'in_progress') t.ok(e.startedAt !== null && e.completedAt === null, 'in_progress: started, not finished')
  }

  const transitions = await system.database.sql<{ from_status: string | null; to_status: string; runner_id: string | null }[]>`
    SELECT from_status, to_status, runner_id FROM restore_transitions WHERE restore_id = ${started.id} ORDER BY id`
  t.same(
    transitions.map((tr) => [tr.from_status, tr.to_status]),
    [
      [null, 'pending'],
      ['pending', 'in_progress'],
      ['in_progress', 'completed'],
    ],
    'the audit trail holds exactly the transitions the stream showed',
  )
  t.ok(system.runnerIds.includes(transitions[1]?.runner_id ?? ''), 'one of the two runner processes ran it')
  t.same(await fingerprint(databaseUrl(env.DEVPILOT_TEST_PG2_URL, target)), expected, 'and the restored copy equals the source')
})
