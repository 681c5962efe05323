// The runner tests' harness: the test kit's product (database, roots, queue, S3) bound to one
// workspace, with records made through the product's query functions (servers, local and S3
// destinations, plans, backups of real artifacts, restores created with their job exactly like the
// API does), and the runner in process. Child-process runners come from the kit's spawnService.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { S3Client } from '@aws-sdk/client-s3'
import { parseEnv, runnerConfigSchema } from '@devpilot/config'
import type { BackupFormat, BackupManifest, RestoreErrorCode, RestoreStatus } from '@devpilot/contracts'
import { insertBackup, insertDestination, insertPlan, insertServer } from '@devpilot/db'
import {
  createRestoreWithJob,
  createTestBucket,
  createTestProduct,
  fileSize,
  type ProductDatabase,
  type SeededWorkspace,
  seedWorkspace,
  sha256File,
  startTestQueue,
  type Teardown,
  uniqueName,
  waitFor,
  workspaceFolders,
} from '@devpilot/devenv/testing'
import { createSecretBox, type SecretBox } from '@devpilot/secrets'
import type { PgBoss } from 'pg-boss'
import { createLogger } from '../src/logger.js'
import { findPgTools } from '../src/pg-tools.js'
import { createWorker, type Worker } from '../src/worker.js'

export interface RestoreRow {
  id: string
  status: RestoreStatus
  error_code: RestoreErrorCode | null
  error_message: string | null
  attempt: number
  runner_id: string | null
  bytes_done: string
  bytes_total: string | null
  started_at: string | null
  completed_at: string | null
}

export interface Harness {
  db: ProductDatabase
  boss: PgBoss
  box: SecretBox
  secretsKey: string
  ws: SeededWorkspace
  /** This workspace's folder under LOCAL_DESTINATION_ROOTS. */
  destinationRoot: string
  /** This workspace's folder under RESTORE_PATH_ROOTS. */
  filesRoot: string
  runnerEnv(overrides?: Record<string, string>): Record<string, string>
  startRunner(overrides?: Record<string, string>): Promise<Worker>
  server(clusterUrl: string, overrides?: { port?: number; password?: string; name?: string }): Promise<string>
  localDestination(options?: { enabled?: boolean; path?: string }): Promise<{ id: string; path: string }>
  s3Destination(options?: { prefix?: string }): Promise<{ id: string; bucket: string; client: S3Client; prefix: string | undefined }>
  databasePlan(params: { sourceServerId: string; sourceDatabase: string; destinationId: string }): Promise<string>
  filesPlan(params: { sourcePath: string; destinationId: string }): Promise<string>
  /** Registers a completed backup of an artifact file; sha256/size from the file unless given. */
  backup(params: {
    planId: string
    format: BackupFormat
    artifactKey: string
    file?: string
    sha256?: string | null
    manifest?: BackupManifest
  }): Promise<string>
  restore(params: {
    backupId: string
    planId: string
    targetServerId?: string
    targetDatabase?: string
    targetPath?: string
    overwrite?: boolean
    pitTargetTime?: string
    dryRun?: boolean
    include?: { schemas?: string[]; tables?: string[]; paths?: string[] }
    targetSchema?: string
    verify?: boolean
  }): Promise<string>
  row(restoreId: string): Promise<RestoreRow>
  waitTerminal(restoreId: string, timeoutMs?: number): Promise<RestoreRow>
}

export async function createHarness(t: Teardown): Promise<Harness> {
  const product = await createTestProduct(t)
  const { database: db, box, secretsKey: key } = product
  const ws = await seedWorkspace(db.db)
  // Roots are per workspace: the env roots are the parents, the harness hands out this workspace's folders.
  const { restoreRoot: filesRoot, destinationRoot } = workspaceFolders(product, ws.slug)
  const boss = await startTestQueue(t, db.url)

  const runnerEnv = (overrides: Record<string, string> = {}) => ({
    ...product.serviceEnv,
    LOG_LEVEL: process.env.RUNNER_TEST_LOG_LEVEL ?? 'silent',
    RUNNER_CONCURRENCY: '4',
    RUNNER_LOST_AFTER_SECONDS: '4',
    SHUTDOWN_GRACE_SECONDS: '5',
    RUNNER_TARGET_BUSY_RETRY_SECONDS: '0.5',
    METRICS_PORT: '0',
    ...overrides,
  })

  const harness: Harness = {
    db,
    boss,
    box,
    secretsKey: key,
    ws,
    destinationRoot,
    filesRoot,
    runnerEnv,
    async startRunner(overrides = {}) {
      const config = parseEnv('runner', runnerConfigSchema, runnerEnv(overrides))
      // The runner's own keys, as main.ts builds them (a test may start one under another SECRETS_KEY).
      const runnerBox = createSecretBox(config.SECRETS_KEY, config.SECRETS_KEY_PREVIOUS)
      const worker = createWorker({ config, db: db.db, box: runnerBox, tools: findPgTools(config.PG_BIN_DIR), log: createLogger(config.LOG_LEVEL) })
      await worker.start()
      t.teardown(() => worker.stop())
      return worker
    },
    async server(clusterUrl, overrides = {}) {
      const u = new URL(clusterUrl)
      const row = await insertServer(db.db, box, {
        workspaceId: ws.workspaceId,
        name: overrides.name ?? uniqueName('server'),
        host: u.hostname,
        port: overrides.port ?? Number(u.port),
        username: decodeURIComponent(u.username),
        password: overrides.password ?? decodeURIComponent(u.password),
        sslmode: 'disable',
      })
      return row.id
    },
    async localDestination(options = {}) {
      const path = options.path ?? join(destinationRoot, uniqueName('dest'))
      mkdirSync(path, { recursive: true })
      const row = await insertDestination(db.db, box, {
        workspaceId: ws.workspaceId,
        name: uniqueName('local'),
        type: 'local',
        path,
        enabled: options.enabled ?? true,
      })
      return { id: row.id, path }
    },
    async s3Destination(options = {}) {
      const bucket = await createTestBucket(t)
      const row = await insertDestination(db.db, box, {
        workspaceId: ws.workspaceId,
        name: bucket.name,
        type: 's3',
        bucket: bucket.name,
        region: bucket.region,
        endpoint: bucket.endpoint,
        forcePathStyle: true,
        prefix: options.prefix ?? null,
        accessKeyId: bucket.accessKeyId,
        secretAccessKey: bucket.secretAccessKey,
      })
      return { id: row.id, bucket: bucket.name, client: bucket.client, prefix: options.prefix }
    },
    async databasePlan(params) {
      const row = await insertPlan(db.db, { workspaceId: ws.workspaceId, name: uniqueName('plan'), type: 'database', ...params })
      return row.id
    },
    async filesPlan(params) {
      const row = await insertPlan(db.db, { workspaceId: ws.workspaceId, name: uniqueName('plan'), type: 'files', ...params })
      return row.id
    },
    async backup(params) {
      const sha256 = params.sha256 !== undefined ? params.sha256 : params.file ? await sha256File(params.file) : null
      const row = await insertBackup(db.db, {
        workspaceId: ws.workspaceId,
        planId: params.planId,
        format: params.format,
        artifactKey: params.artifactKey,
        status: 'completed',
        sha256,
        sizeBytes: params.file ? fileSize(params.file) : null,
        manifest: params.manifest ?? null,
      })
      return row.id
    },
    async restore(params) {
      const { restoreId } = await createRestoreWithJob(db.sql, boss, { workspaceId: ws.workspaceId, triggeredByUserId: ws.userId, ...params })
      return restoreId
    },
    async row(restoreId) {
      const [row] = await db.sql<RestoreRow[]>`
        SELECT id, status, error_code, error_message, attempt, runner_id, bytes_done::text, bytes_total::text, started_at::text, completed_at::text
        FROM restores WHERE id = ${restoreId}`
      if (!row) throw new Error(`restore ${restoreId} not found`)
      return row
    },
    async waitTerminal(restoreId, timeoutMs = 60_000) {
      return waitFor(
        () => harness.row(restoreId),
        (r) => r.status === 'completed' || r.status === 'failed',
        { timeoutMs, what: `restore ${restoreId} to finish` },
      )
    },
  }
  return harness
}
