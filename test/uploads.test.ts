// Uploaded dumps end to end: the real API and two real runners as child processes, artifacts of a
// few hundred MB made by pg_dump and tar on the spot (never committed), streamed over real HTTP
// into a local destination and into the S3 server, validated by the runner, and restored. Faults
// are the real ones: a client that destroys its socket halfway, a body over UPLOAD_MAX_BYTES,
// bodies that are not what they claim, hostile archives and scripts.
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3'
import type { Schemas } from '@devpilot/api-client'
import {
  createFixtureDatabase,
  createFixtureRoles,
  createTestBucket,
  databaseUrl,
  dropDatabase,
  fileSize,
  fingerprint,
  makeTar,
  pgDump,
  psql,
  scratchDir,
  sha256File,
  startSystem,
  testEnv,
  uniqueName,
  waitFor,
} from '@devpilot/devenv/testing'
import { execa } from 'execa'
import t from 'tap'

type Backup = Schemas['Backup']

t.setTimeout(20 * 60_000)

const MiB = 1024 * 1024
const LIMIT = 400 * MiB
const env = testEnv()
const system = await startSystem(t, { apiEnv: { UPLOAD_MAX_BYTES: String(LIMIT) } })
const admin = system.client(system.admin.token)
const operator = system.client(system.operator.token)
const bucket = await createTestBucket(t, 'uploads')
const work = scratchDir(t, 'uploads-artifacts')

function expectStatus<T>(result: { data?: T; error?: unknown; response: Response }, status: number, what: string): T {
  if (result.response.status !== status || result.data === undefined) {
    throw new Error(`${what}: expected ${status}, got ${result.response.status}: ${JSON.stringify(result.error)}`)
  }
  return result.data
}

interface Answer {
  status: number
  body: Record<string, unknown>
}

/** POSTs `file` (or the bytes `source` yields) as the raw body, streamed from disk. */
function postUpload(
  planId: string,
  query: Record<string, string>,
  body: { file: string } | { bytes: Buffer },
  options: { token?: string; contentType?: string } = {},
): Promise<Answer> {
  const url = new URL(`/v1/plans/${planId}/uploads`, system.baseUrl)
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v)
  const length = 'file' in body ? fileSize(body.file) : body.bytes.length
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${options.token ?? system.operator.token}`,
        'content-type': options.contentType ?? 'application/octet-stream',
        'content-length': String(length),
      },
    })
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} })
      })
    })
    req.on('error', reject)
    if ('file' in body) createReadStream(body.file, { highWaterMark: MiB }).pipe(req)
    else req.end(body.bytes)
  })
}

async function waitValidated(backupId: string): Promise<Backup> {
  return waitFor(
    async () => expectStatus(await operator.GET('/v1/backups/{id}', { params: { path: { id: backupId } } }), 200, 'get backup'),
    (b) => b.status === 'completed' || b.status === 'failed',
    { timeoutMs: 10 * 60_000, intervalMs: 200, what: `backup ${backupId} to be validated` },
  )
}

async function backupsOf(planId: string): Promise<Backup[]> {
  return expectStatus(await operator.GET('/v1/backups', { params: { query: { planId, limit: 100 } } }), 200, 'list backups').items
}

/** Peak resident memory of a process (VmHWM) and its current one, in bytes. */
function memoryOf(pid: number): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 'NaN') * 1024
  return { peak: kb('VmHWM'), now: kb('VmRSS') }
}

/** Every path under the destination's uploads/ folder (listed again when the API removes something mid-listing). */
async function uploadedUnder(dir: string): Promise<string[]> {
  const root = join(dir, 'uploads')
  for (;;) {
    if (!existsSync(root)) return []
    try {
      return readdirSync(root, { recursive: true, encoding: 'utf8' }).sort()
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }
}

async function bucketState(prefix: string): Promise<{ objects: string[]; multipart: string[] }> {
  const objects = await bucket.client.send(new ListObjectsV2Command({ Bucket: bucket.name, Prefix: prefix }))
  const multipart = await bucket.client.send(new ListMultipartUploadsCommand({ Bucket: bucket.name, Prefix: prefix }))
  return { objects: (objects.Contents ?? []).map((o) => o.Key ?? ''), multipart: (multipart.Uploads ?? []).map((u) => u.Key ?? '') }
}

// ---- Destinations and plans: a local directory and a bucket, each with a manual database plan
// and a manual files plan.
const localDir = join(system.destinationRoot, uniqueName('uploads'))
mkdirSync(localDir)
const localDestination = expectStatus(
  await admin.POST('/v1/destinations', { body: { name: uniqueName('local'), type: 'local', path: localDir } }),
  201,
  'local destination',
)
const s3Destination = expectStatus(
  await admin.POST('/v1/destinations', {
    body: {
      name: uniqueName('s3'),
      type: 's3',
      bucket: bucket.name,
      region: bucket.region,
      endpoint: bucket.endpoint,
      forcePathStyle: true,
      prefix: 'team/',
      accessKeyId: bucket.accessKeyId,
      secretAccessKey: bucket.secretAccessKey,
    },
  }),
  201,
  's3 destination',
)
const plan = async (type: 'database' | 'files', destinationId: string) =>
  expectStatus(
    await admin.POST('/v1/plans', {
      body:
        type === 'database'
          ? { name: uniqueName('imports'), type, sourceDatabase: 'imported', destinationId, mode: 'manual' }
          : { name: uniqueName('file imports'), type, sourcePath: join(system.restoreRoot, 'imported'), destinationId, mode: 'manual' },
    }),
    201,
    `${type} plan`,
  )
const localDbPlan = await plan('database', localDestination.id)
const s3DbPlan = await plan('database', s3Destination.id)
const localFilesPlan = await plan('files', localDestination.id)
const s3FilesPlan = await plan('files', s3Destination.id)

// ---- A source database of a few hundred MB: the fixture (shapes that break naive restores) plus
// a bulk table, dumped without compression so the dump is as large as the data.
const roles = await createFixtureRoles(env.DEVPILOT_TEST_PG_URL)
const source = await createFixtureDatabase(env.DEVPILOT_TEST_PG_URL, roles, uniqueName('upload_src'))
t.teardown(() => dropDatabase(env.DEVPILOT_TEST_PG_URL, source.name))
await psql(
  source.url,
  `CREATE TABLE public.bulk (id int PRIMARY KEY, payload text NOT NULL);
   INSERT INTO public.bulk SELECT g, repeat(md5(g::text), 32) FROM generate_series(1, 220000) g;`,
)
const expected = await fingerprint(source.url)
const bigDump = join(work, 'big.dump')
await pgDump(source.url, 'pg_custom', bigDump, ['--compress=0'])
const bigSize = fileSize(bigDump)
const bigSha = await sha256File(bigDump)

t.test('plans in manual mode are created and shown as manual', async (t) => {
  t.equal(localDbPlan.mode, 'manual')
  t.equal(s3FilesPlan.mode, 'manual')
  const registered = await admin.POST('/v1/backups', { body: { planId: localDbPlan.id, format: 'pg_custom', artifactKey: 'x.dump' } })
  t.equal(registered.response.status, 422, 'the producer cannot register backups into a manual plan')
})

t.test('a dump of a few hundred MB uploaded to S3 is stored by multipart upload, validated, and restores row for row', async (t) => {
  t.ok(bigSize > 200 * MiB, `the dump is ${Math.round(bigSize / MiB)} MiB`)
  const before = memoryOf(system.api.pid)
  const answer = await postUpload(s3DbPlan.id, { format: 'pg_custom', filename: 'big.dump' }, { file: bigDump })
  t.equal(answer.status, 201, JSON.stringify(answer.body))
  const after = memoryOf(system.api.pid)
  const growth = after.peak - before.now
  // The growth includes loading the AWS SDK (the API loads it on its first S3 upload, this one) and
  // two 8 MiB parts in flight; a buffering API would grow by the body's 219 MiB or more. Seen: 64-110 MiB.
  t.ok(growth < 160 * MiB, `the API's peak RSS grew by ${Math.round(growth / MiB)} MiB for a ${Math.round(bigSize / MiB)} MiB upload`)
  const backup = answer.body as unknown as Backup
  t.match(backup, { status: 'pending', source: 'upload', format: 'pg_custom', sizeBytes: bigSize, sha256: bigSha, planId: s3DbPlan.id })
  t.match(backup.artifactKey, /^uploads\/[0-9a-f-]{36}\/big\.dump$/)
  t.same((await bucketState(`team/${backup.artifactKey}`)).objects, [`team/${backup.artifactKey}`], 'the object is in the bucket under the prefix')

  const done = await waitValidated(backup.id)
  t.equal(done.status, 'completed', JSON.stringify(done.error))
  t.equal(done.error, null)

  const target = uniqueName('from_upload')
  t.teardown(() => dropDatabase(env.DEVPILOT_TEST_PG2_URL, target))
  const server = expectStatus(
    await admin.POST('/v1/servers', {
      body: (() => {
        const u = new URL(env.DEVPILOT_TEST_PG2_URL)
        return {
          name: uniqueName('pg2'),
          host: u.hostname,
          port: Number(u.port),
          username: decodeURIComponent(u.username),
          password: decodeURIComponent(u.password),
          sslmode: 'disable' as const,
        }
      })(),
    }),
    201,
    'server',
  )
  const started = expectStatus(
    await operator.POST('/v1/backups/{id}/restores', { params: { path: { id: backup.id } }, body: { targetServerId: server.id, targetDatabase: target } }),
    202,
    'start restore',
  )
  const restored = await waitFor(
    async () => expectStatus(await operator.GET('/v1/restores/{id}', { params: { path: { id: started.id } } }), 200, 'restore'),
    (r) => r.status === 'completed' || r.status === 'failed',
    { timeoutMs: 10 * 60_000, intervalMs: 250, what: 'the restore of the upload' },
  )
  t.equal(restored.status, 'completed', JSON.stringify(restored.error))
  t.same(await fingerprint(databaseUrl(env.DEVPILOT_TEST_PG2_URL, target)), expected, 'every table, row, sequence and object of the uploaded dump is restored')
})

t.test('the same dump uploaded to a local destination lands renamed into place, byte for byte, and validates', async (t) => {
  const answer = await postUpload(localDbPlan.id, { format: 'pg_custom', filename: 'big copy.dump' }, { file: bigDump })
  t.equal(answer.status, 201, JSON.stringify(answer.body))
  const backup = answer.body as unknown as Backup
  const stored = join(localDir, backup.artifactKey)
  t.equal(await sha256File(stored), bigSha, 'the stored file is the uploaded file')
  t.same(readdirSync(join(stored, '..')), ['big copy.dump'], 'no temporary file is left beside it')
  const done = await waitValidated(backup.id)
  t.equal(done.status, 'completed', JSON.stringify(done.error))
})

t.test('a client that destroys its socket halfway leaves no file, no object, no pending multipart upload and no backup', async (t) => {
  for (const [planId, where] of [
    [localDbPlan.id, 'local'],
    [s3DbPlan.id, 's3'],
  ] as const) {
    const before = (await backupsOf(planId)).length
    const filesBefore = await uploadedUnder(localDir)
    const stateBefore = await bucketState('team/uploads/')
    const url = new URL(`/v1/plans/${planId}/uploads?format=pg_custom&filename=cut.dump`, system.baseUrl)
    const req = request(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${system.operator.token}`, 'content-type': 'application/octet-stream', 'content-length': String(bigSize) },
    })
    req.on('error', () => {})
    const source = createReadStream(bigDump, { highWaterMark: MiB, end: 60 * MiB })
    source.pipe(req, { end: false })
    // Cut off only once the API is visibly storing it (a growing temporary file, or a multipart upload).
    await waitFor(
      async () => (where === 'local' ? (await uploadedUnder(localDir)).length > filesBefore.length : (await bucketState('team/uploads/')).multipart.length > 0),
      (started) => started,
      { timeoutMs: 120_000, intervalMs: 100, what: `the ${where} upload to start` },
    )
    await new Promise<void>((resolve) => source.on('end', () => resolve()))
    req.destroy()
    if (where === 'local') {
      await waitFor(
        () => uploadedUnder(localDir),
        (files) => files.length === filesBefore.length,
        { timeoutMs: 60_000, what: 'the partial file to be removed' },
      )
      t.same(await uploadedUnder(localDir), filesBefore, 'nothing of the cut-off upload is left in the destination directory')
    } else {
      await waitFor(
        () => bucketState('team/uploads/'),
        (s) => s.multipart.length === 0,
        { timeoutMs: 60_000, what: 'the multipart upload to be aborted' },
      )
      t.same(await bucketState('team/uploads/'), stateBefore, 'no new object and no pending multipart upload')
    }
    t.equal((await backupsOf(planId)).length, before, `no backup row for the cut-off ${where} upload`)
  }
})

t.test('a body larger than UPLOAD_MAX_BYTES is refused with 413 and nothing is kept', async (t) => {
  const big = join(work, 'too-big.bin')
  await execa('truncate', ['-s', String(LIMIT + MiB), big])
  const before = (await backupsOf(s3DbPlan.id)).length
  const stateBefore = await bucketState('team/uploads/')
  const filesBefore = await uploadedUnder(localDir)
  // Declared up front: refused before a byte is stored.
  const declared = await postUpload(s3DbPlan.id, { format: 'pg_custom', filename: 'big.bin' }, { file: big })
  t.equal(declared.status, 413)
  t.equal(declared.body.code, 'payload_too_large')
  // Not declared (chunked): counted while streaming, cut off at the limit.
  const chunked = await new Promise<Answer>((resolve, reject) => {
    const url = new URL(`/v1/plans/${localDbPlan.id}/uploads?format=pg_custom&filename=big.bin`, system.baseUrl)
    const req = request(url, { method: 'POST', headers: { authorization: `Bearer ${system.operator.token}`, 'content-type': 'application/octet-stream' } })
    const src = createReadStream(big, { highWaterMark: MiB })
    req.on('response', (res) => {
      src.unpipe(req)
      src.destroy()
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }))
    })
    req.on('error', reject)
    src.pipe(req)
  })
  t.equal(chunked.status, 413)
  t.equal(chunked.body.code, 'payload_too_large')
  await waitFor(
    () => uploadedUnder(localDir),
    (files) => files.length === filesBefore.length,
    { timeoutMs: 60_000, what: 'the partial file to be removed' },
  )
  t.same(await uploadedUnder(localDir), filesBefore, 'no file of it in the local destination')
  t.same(await bucketState('team/uploads/'), stateBefore, 'no object and no multipart upload in the bucket')
  t.equal((await backupsOf(s3DbPlan.id)).length, before)
  t.equal((await backupsOf(localDbPlan.id)).filter((b) => b.artifactKey.endsWith('big.bin')).length, 0)
})

t.test('requests the API refuses before reading the body', async (t) => {
  const small = { bytes: Buffer.from('SELECT 1;\n') }
  t.equal(
    (await postUpload(localDbPlan.id, { format: 'pg_plain', filename: 'a.sql' }, small, { token: system.viewer.token })).status,
    403,
    'a viewer may not upload',
  )
  const other = await startOtherWorkspacePlan()
  t.equal((await postUpload(other, { format: 'pg_plain', filename: 'a.sql' }, small)).status, 404, "another workspace's plan is not found")
  const wrongType = await postUpload(localFilesPlan.id, { format: 'pg_custom', filename: 'a.dump' }, small)
  t.equal(wrongType.status, 422, 'a database format for a files plan')
  t.equal(wrongType.body.code, 'validation_failed')
  for (const filename of ['../escape.sql', 'a/b.sql', '..', '.', 'line\nbreak.sql', '']) {
    const answer = await postUpload(localDbPlan.id, { format: 'pg_plain', filename }, small)
    t.equal(answer.status, 400, `filename ${JSON.stringify(filename)} is refused`)
  }
  t.equal((await postUpload(localDbPlan.id, { format: 'pg_plain', filename: 'a.sql' }, small, { contentType: 'application/json' })).status, 415)
  const filesBefore = await uploadedUnder(localDir)
  t.equal((await postUpload(localDbPlan.id, { format: 'pg_plain', filename: 'empty.sql' }, { bytes: Buffer.alloc(0) })).status, 400, 'an empty body')
  t.same(await uploadedUnder(localDir), filesBefore, 'nothing is kept of an empty body')
})

async function startOtherWorkspacePlan(): Promise<string> {
  const { seedWorkspace } = await import('@devpilot/devenv/testing')
  const other = await seedWorkspace(system.database.db)
  const client = system.client(other.token)
  const dir = join(system.destinationRoot, '..', other.slug)
  mkdirSync(dir, { recursive: true })
  const destination = expectStatus(await client.POST('/v1/destinations', { body: { name: 'other', type: 'local', path: dir } }), 201, 'other destination')
  return expectStatus(
    await client.POST('/v1/plans', { body: { name: 'other', type: 'database', sourceDatabase: 'x', destinationId: destination.id, mode: 'manual' } }),
    201,
    'other plan',
  ).id
}

t.test('uploads that are not what they claim, or are hostile, end failed with the reason and cannot be restored', async (t) => {
  const tree = join(work, 'tree')
  mkdirSync(join(tree, 'etc'), { recursive: true })
  writeFileSync(join(tree, 'etc', 'app.conf'), 'port = 1\n')
  const tarball = join(work, 'tree.tar')
  await makeTar(tree, 'tar', tarball)
  const escapeTar = join(work, 'escape.tar')
  // GNU tar writes the `..` member as given with -P.
  await execa('tar', ['-cPf', escapeTar, '-C', tree, 'etc/app.conf', '../tree/etc/app.conf'])
  const truncated = join(work, 'truncated.dump')
  await execa('head', ['-c', String(64 * 1024), bigDump], { stdout: { file: truncated } })

  const cases: Array<{ name: string; planId: string; format: string; body: { file: string } | { bytes: Buffer }; code: string; message: RegExp }> = [
    {
      name: 'a tarball declared pg_custom',
      planId: localDbPlan.id,
      format: 'pg_custom',
      body: { file: tarball },
      code: 'format_mismatch',
      message: /declared pg_custom.*tar archive/,
    },
    {
      name: 'a plain SQL dump with a \\! shell command',
      planId: s3DbPlan.id,
      format: 'pg_plain',
      body: { bytes: Buffer.from('CREATE TABLE t (id int);\n\\! rm -rf /\nINSERT INTO t VALUES (1);\n') },
      code: 'archive_unsafe',
      message: /meta-command/,
    },
    {
      name: 'an archive with a ../escape member',
      planId: localFilesPlan.id,
      format: 'tar',
      body: { file: escapeTar },
      code: 'archive_unsafe',
      message: /\.\./,
    },
    {
      name: 'a custom dump cut off after 64 KiB',
      planId: s3DbPlan.id,
      format: 'pg_custom',
      body: { file: truncated },
      code: 'artifact_invalid',
      message: /pg_restore/,
    },
    { name: 'a tarball declared pg_plain', planId: s3DbPlan.id, format: 'pg_plain', body: { file: tarball }, code: 'format_mismatch', message: /tar archive/ },
  ]
  for (const c of cases) {
    const answer = await postUpload(c.planId, { format: c.format, filename: 'artifact' }, c.body)
    t.equal(answer.status, 201, `${c.name}: accepted for validation`)
    const done = await waitValidated(String(answer.body.id))
    t.equal(done.status, 'failed', `${c.name}: failed`)
    t.equal(done.error?.code, c.code, `${c.name}: ${done.error?.message}`)
    t.match(done.error?.message ?? '', c.message)
    const restore = await operator.POST('/v1/backups/{id}/restores', { params: { path: { id: done.id } }, body: { targetDatabase: 'nope' } })
    t.equal(restore.response.status, 409, `${c.name}: not restorable`)
  }
})

t.test('two concurrent uploads to one plan both complete, each with its own sha256', async (t) => {
  const a = join(work, 'a.dump')
  const b = join(work, 'b.tar.gz')
  await pgDump(source.url, 'pg_custom', a, ['--exclude-table=public.bulk'])
  const tree = scratchDir(t, 'upload-tree')
  writeFileSync(join(tree, 'x.txt'), 'x'.repeat(100_000))
  await makeTar(tree, 'tar_gz', b)
  const c = join(work, 'c.sql.gz')
  await pgDump(source.url, 'pg_plain_gz', c, ['--exclude-table=public.bulk'])
  const [ra, rc] = await Promise.all([
    postUpload(s3DbPlan.id, { format: 'pg_custom', filename: 'same.dump' }, { file: a }),
    postUpload(s3DbPlan.id, { format: 'pg_plain_gz', filename: 'same.dump' }, { file: c }),
  ])
  const rb = await postUpload(s3FilesPlan.id, { format: 'tar_gz', filename: 'b.tar.gz' }, { file: b })
  for (const r of [ra, rc, rb]) t.equal(r.status, 201, JSON.stringify(r.body))
  t.equal(ra.body.sha256, await sha256File(a))
  t.equal(rc.body.sha256, await sha256File(c))
  t.equal(rb.body.sha256, await sha256File(b))
  t.not(ra.body.artifactKey, rc.body.artifactKey, 'the same file name goes to two different keys')
  for (const r of [ra, rc, rb]) {
    const done = await waitValidated(String(r.body.id))
    t.equal(done.status, 'completed', JSON.stringify(done.error))
  }
})
