// The product database (drizzle). Every table carries workspace_id and every query filters on
// it. Invariants that must hold whatever code touches a row live here as CHECK constraints;
// the restore state machine's transition rules are a trigger in migrations/0001_*.sql.

import {
  BACKUP_FORMATS,
  BACKUP_SOURCES,
  BACKUP_STATUSES,
  type BackupManifest,
  DESTINATION_TYPES,
  type DrillSchedule,
  PLAN_MODES,
  PLAN_TYPES,
  type PlanVerification,
  type PreflightCheck,
  RESTORE_ERROR_CODES,
  RESTORE_STAGES,
  RESTORE_STATUS,
  RESTORE_STATUSES,
  type RestoreInclude,
  type RestorePreview,
  type RestoreVerification,
  ROLES,
  SERVER_ENGINES,
  SSL_MODES,
  STREAM_COMPRESSIONS,
  WEBHOOK_EVENTS,
} from '@devpilot/contracts'
import { sql } from 'drizzle-orm'
import { bigint, boolean, check, customType, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'

/** `col IN ('a', 'b')` built from a contracts array, so the database and the code share one list. */
function oneOf(column: string, values: readonly string[]) {
  return sql.raw(`${column} IN (${values.map((v) => `'${v}'`).join(', ')})`)
}

/** PostgreSQL's pg_lsn: compares as a WAL position, written as text like `0/1924858`. */
export const pgLsn = customType<{ data: string; driverData: string }>({ dataType: () => 'pg_lsn' })

/** The partial-index condition of a running restore (`status = 'in_progress'`). */
const activeRestore = sql.raw(`status = '${RESTORE_STATUS.in_progress}'`)
/** A running restore that holds its target: dry runs never lock, wait for or change a target. */
const activeTargetRestore = sql.raw(`status = '${RESTORE_STATUS.in_progress}' AND NOT dry_run`)
/** A drill not yet finished: never two of one plan at once. */
const openDrill = sql.raw(`drill AND status IN ('${RESTORE_STATUS.pending}', '${RESTORE_STATUS.in_progress}')`)

const id = () => uuid('id').primaryKey().default(sql`gen_random_uuid()`)
const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow()
const updatedAt = () => timestamp('updated_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow()
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'string' })

export const workspaces = pgTable('workspaces', {
  id: id(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  createdAt: createdAt(),
})

export const users = pgTable(
  'users',
  {
    id: id(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    email: text('email').notNull(),
    role: text('role', { enum: ROLES }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('users_workspace_email_key').on(t.workspaceId, t.email), check('users_role_check', oneOf('role', ROLES))],
)

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: id(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    tokenHash: text('token_hash').notNull().unique(),
    name: text('name'),
    createdAt: createdAt(),
    lastUsedAt: ts('last_used_at'),
    revokedAt: ts('revoked_at'),
  },
  (t) => [check('api_tokens_hash_check', sql`${t.tokenHash} ~ '^[0-9a-f]{64}$'`)],
)

export const servers = pgTable(
  'servers',
  {
    id: id(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    name: text('name').notNull(),
    engine: text('engine', { enum: SERVER_ENGINES }).notNull().default('postgresql'),
    host: text('host').notNull(),
    port: integer('port').notNull().default(5432),
    username: text('username').notNull(),
    /** AES-256-GCM ciphertext (packages/secrets), never plaintext. */
    passwordCiphertext: text('password_ciphertext'),
    maintenanceDatabase: text('maintenance_database').notNull().default('postgres'),
    sslmode: text('sslmode', { enum: SSL_MODES }).notNull().default('prefer'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    deletedAt: ts('deleted_at'),
  },
  (t) => [
    index('servers_workspace_created_idx').on(t.workspaceId, t.createdAt.desc(), t.id.desc()),
    check('servers_engine_check', oneOf('engine', SERVER_ENGINES)),
    check('servers_sslmode_check', oneOf('sslmode', SSL_MODES)),
    check('servers_port_check', sql`${t.port} BETWEEN 1 AND 65535`),
    check('servers_password_ciphertext_check', sql`${t.passwordCiphertext} IS NULL OR ${t.passwordCiphertext} LIKE 'v1.%'`),
  ],
)

export const destinations = pgTable(
  'destinations',
  {
    id: id(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    name: text('name').notNull(),
    type: text('type', { enum: DESTINATION_TYPES }).notNull(),
    enabled: boolean('enabled').notNull().default(true),
    bucket: text('bucket'),
    region: text('region'),
    endpoint: text('endpoint'),
    prefix: text('prefix'),
    forcePathStyle: boolean('force_path_style'),
    accessKeyId: text('access_key_id'),
    /** AES-256-GCM ciphertext (packages/secrets), never plaintext. */
    secretAccessKeyCiphertext: text('secret_access_key_ciphertext'),
    path: text('path'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    deletedAt: ts('deleted_at'),
  },
  (t) => [
    index('destinations_workspace_created_idx').on(t.workspaceId, t.createdAt.desc(), t.id.desc()),
    check('destinations_type_check', oneOf('type', DESTINATION_TYPES)),
    check(
      'destinations_shape_check',
      sql`(type = 's3' AND bucket IS NOT NULL AND region IS NOT NULL AND access_key_id IS NOT NULL AND secret_access_key_ciphertext LIKE 'v1.%' AND path IS NULL)
       OR (type = 'local' AND path IS NOT NULL AND bucket IS NULL AND region IS NULL AND access_key_id IS NULL AND secret_access_key_ciphertext IS NULL)`,
    ),
  ],
)

export const plans = pgTable(
  'plans',
  {
    id: id(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    name: text('name').notNull(),
    type: text('type', { enum: PLAN_TYPES }).notNull(),
    mode: text('mode', { enum: PLAN_MODES }).notNull().default('scheduled'),
    sourceServerId: uuid('source_server_id').references(() => servers.id),
    sourceDatabase: text('source_database'),
    sourcePath: text('source_path'),
    destinationId: uuid('destination_id')
      .notNull()
      .references(() => destinations.id),
    /** The plan's verification checks (DESIGN.md "Verification"), validated by contracts before they are stored. */
    verification: jsonb('verification').$type<PlanVerification>(),
    /** When drills run on their own (pg-boss cron, schedule name `drill:<plan id>`). */
    drillSchedule: jsonb('drill_schedule').$type<DrillSchedule>(),
    createdAt: createdAt(),
  },
  (t) => [
    index('plans_workspace_created_idx').on(t.workspaceId, t.createdAt.desc(), t.id.desc()),
    index('plans_name_trgm_idx').using('gin', sql`${t.name} gin_trgm_ops`),
    check('plans_type_check', oneOf('type', PLAN_TYPES)),
    check('plans_mode_check', oneOf('mode', PLAN_MODES)),
    check(
      'plans_source_check',
      sql`(type = 'database' AND source_database IS NOT NULL AND source_path IS NULL)
       OR (type = 'files' AND source_path IS NOT NULL AND source_server_id IS NULL AND source_database IS NULL)`,
    ),
  ],
)

export const backups = pgTable(
  'backups',
  {
    id: id(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    planId: uuid('plan_id')
      .notNull()
      .references(() => plans.id),
    destinationId: uuid('destination_id')
      .notNull()
      .references(() => destinations.id),
    status: text('status', { enum: BACKUP_STATUSES }).notNull().default('pending'),
    format: text('format', { enum: BACKUP_FORMATS }).notNull(),
    artifactKey: text('artifact_key').notNull(),
    sizeBytes: bigint('size_bytes', { mode: 'number' }),
    sha256: text('sha256'),
    snapshotLsn: pgLsn('snapshot_lsn'),
    source: text('source', { enum: BACKUP_SOURCES }).notNull().default('producer'),
    /** Exact row counts the producer took inside the dump's snapshot. */
    manifest: jsonb('manifest').$type<BackupManifest>(),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    createdAt: createdAt(),
    startedAt: ts('started_at'),
    completedAt: ts('completed_at'),
  },
  (t) => [
    index('backups_workspace_created_idx').on(t.workspaceId, t.createdAt.desc(), t.id.desc()),
    index('backups_plan_created_idx').on(t.workspaceId, t.planId, t.createdAt.desc(), t.id.desc()),
    index('backups_status_created_idx').on(t.workspaceId, t.status, t.createdAt.desc(), t.id.desc()),
    index('backups_artifact_key_trgm_idx').using('gin', sql`${t.artifactKey} gin_trgm_ops`),
    check('backups_status_check', oneOf('status', BACKUP_STATUSES)),
    check('backups_format_check', oneOf('format', BACKUP_FORMATS)),
    check('backups_source_check', oneOf('source', BACKUP_SOURCES)),
    check('backups_size_check', sql`${t.sizeBytes} IS NULL OR ${t.sizeBytes} >= 0`),
    check('backups_sha256_check', sql`${t.sha256} IS NULL OR ${t.sha256} ~ '^[0-9a-f]{64}$'`),
    check('backups_completed_check', sql`${t.status} <> 'completed' OR ${t.completedAt} IS NOT NULL`),
    check('backups_times_check', sql`${t.completedAt} IS NULL OR ${t.startedAt} IS NULL OR ${t.completedAt} >= ${t.startedAt}`),
  ],
)

export const restores = pgTable(
  'restores',
  {
    id: id(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    backupId: uuid('backup_id')
      .notNull()
      .references(() => backups.id),
    planId: uuid('plan_id')
      .notNull()
      .references(() => plans.id),
    status: text('status', { enum: RESTORE_STATUSES }).notNull().default('pending'),
    targetServerId: uuid('target_server_id').references(() => servers.id),
    targetDatabase: text('target_database'),
    targetPath: text('target_path'),
    overwrite: boolean('overwrite').notNull().default(false),
    triggeredByUserId: uuid('triggered_by_user_id')
      .notNull()
      .references(() => users.id),
    createdAt: createdAt(),
    startedAt: ts('started_at'),
    completedAt: ts('completed_at'),
    errorCode: text('error_code', { enum: RESTORE_ERROR_CODES }),
    errorMessage: text('error_message'),
    bytesDone: bigint('bytes_done', { mode: 'number' }).notNull().default(0),
    bytesTotal: bigint('bytes_total', { mode: 'number' }),
    idempotencyKey: text('idempotency_key'),
    requestFingerprint: text('request_fingerprint'),
    /** Runner bookkeeping: which process holds it, its last sign of life, how many tries so far. */
    attempt: integer('attempt').notNull().default(0),
    runnerId: text('runner_id'),
    heartbeatAt: ts('heartbeat_at'),
    /** Point-in-time restores: the requested moment (inclusive), and what replay reached. */
    pitTargetTime: ts('pit_target_time'),
    pitAppliedLsn: pgLsn('pit_applied_lsn'),
    pitAppliedCommitAt: ts('pit_applied_commit_at'),
    /** Request: a preview (never touches the target), a drill (scratch target), verification wanted, a partial selection. */
    dryRun: boolean('dry_run').notNull().default(false),
    drill: boolean('drill').notNull().default(false),
    /** Drills only: keep the scratch target afterwards (default: dropped once verified). */
    drillKeep: boolean('drill_keep').notNull().default(false),
    verify: boolean('verify').notNull().default(true),
    include: jsonb('include').$type<RestoreInclude>(),
    targetSchema: text('target_schema'),
    /** Outcome, written by the runner as it goes. */
    checks: jsonb('checks').$type<PreflightCheck[]>().notNull().default(sql`'[]'::jsonb`),
    preview: jsonb('preview').$type<RestorePreview>(),
    verification: jsonb('verification').$type<RestoreVerification>(),
    stage: text('stage', { enum: RESTORE_STAGES }),
    etaSeconds: integer('eta_seconds'),
    /** Set by POST /v1/restores/{id}/cancel; the owning runner stops before the swap. */
    cancelRequestedAt: ts('cancel_requested_at'),
  },
  (t) => [
    index('restores_workspace_created_idx').on(t.workspaceId, t.createdAt.desc(), t.id.desc()),
    index('restores_backup_created_idx').on(t.backupId, t.createdAt.desc(), t.id.desc()),
    index('restores_plan_created_idx').on(t.planId, t.createdAt.desc(), t.id.desc()),
    index('restores_status_created_idx').on(t.workspaceId, t.status, t.createdAt.desc(), t.id.desc()),
    index('restores_heartbeat_idx').on(t.heartbeatAt).where(activeRestore),
    // One active restore per target, across every runner: the second claimant's UPDATE fails here.
    uniqueIndex('restores_active_database_target_key').on(t.targetServerId, t.targetDatabase).where(activeTargetRestore),
    uniqueIndex('restores_active_path_target_key').on(t.targetPath).where(activeTargetRestore),
    uniqueIndex('restores_open_drill_key').on(t.planId).where(openDrill),
    check('restores_status_check', oneOf('status', RESTORE_STATUSES)),
    check('restores_error_code_check', sql`${t.errorCode} IS NULL OR ${oneOf('error_code', RESTORE_ERROR_CODES)}`),
    // pending: no start, no finish. in_progress: start only. completed/failed: both. failed: error set.
    check(
      'restores_status_fields_check',
      sql`(status = 'pending' AND started_at IS NULL AND completed_at IS NULL AND error_code IS NULL AND error_message IS NULL)
       OR (status = 'in_progress' AND started_at IS NOT NULL AND completed_at IS NULL AND error_code IS NULL AND error_message IS NULL)
       OR (status = 'completed' AND started_at IS NOT NULL AND completed_at IS NOT NULL AND error_code IS NULL AND error_message IS NULL)
       OR (status = 'failed' AND started_at IS NOT NULL AND completed_at IS NOT NULL AND error_code IS NOT NULL AND error_message IS NOT NULL)`,
    ),
    check('restores_times_order_check', sql`(started_at IS NULL OR started_at >= created_at) AND (completed_at IS NULL OR completed_at >= started_at)`),
    check(
      'restores_target_check',
      sql`(target_path IS NULL AND target_server_id IS NOT NULL AND target_database IS NOT NULL)
       OR (target_path IS NOT NULL AND target_server_id IS NULL AND target_database IS NULL)`,
    ),
    check('restores_progress_check', sql`bytes_done >= 0 AND (bytes_total IS NULL OR bytes_total >= 0)`),
    check('restores_attempt_check', sql`attempt >= 0`),
    check('restores_pit_check', sql`pit_target_time IS NOT NULL OR (pit_applied_lsn IS NULL AND pit_applied_commit_at IS NULL)`),
    check('restores_pit_target_check', sql`pit_target_time IS NULL OR target_path IS NULL`),
    check('restores_stage_check', sql`${t.stage} IS NULL OR ${oneOf('stage', RESTORE_STAGES)}`),
    check('restores_eta_check', sql`eta_seconds IS NULL OR eta_seconds >= 0`),
    check('restores_checks_array_check', sql`jsonb_typeof(checks) = 'array'`),
    check('restores_preview_dry_run_check', sql`preview IS NULL OR dry_run`),
    check('restores_dry_run_drill_check', sql`NOT (dry_run AND drill)`),
    check('restores_drill_keep_check', sql`drill OR NOT drill_keep`),
  ],
)

/**
 * A real-time plan's change stream: segments of wal2json (format version 2) output in the plan's
 * destination, each covering [start_lsn, end_lsn). Segments of a plan never overlap; a missing
 * range between two of them is a gap that bounds the restorable window.
 */
export const streamSegments = pgTable(
  'stream_segments',
  {
    id: id(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    planId: uuid('plan_id')
      .notNull()
      .references(() => plans.id),
    destinationId: uuid('destination_id')
      .notNull()
      .references(() => destinations.id),
    artifactKey: text('artifact_key').notNull(),
    startLsn: pgLsn('start_lsn').notNull(),
    endLsn: pgLsn('end_lsn').notNull(),
    firstCommitAt: ts('first_commit_at').notNull(),
    lastCommitAt: ts('last_commit_at').notNull(),
    sizeBytes: bigint('size_bytes', { mode: 'number' }),
    sha256: text('sha256'),
    compression: text('compression', { enum: STREAM_COMPRESSIONS }).notNull().default('none'),
    createdAt: createdAt(),
  },
  (t) => [
    index('stream_segments_plan_lsn_idx').on(t.workspaceId, t.planId, t.startLsn),
    uniqueIndex('stream_segments_plan_start_key').on(t.planId, t.startLsn),
    check('stream_segments_range_check', sql`${t.endLsn} > ${t.startLsn} AND ${t.lastCommitAt} >= ${t.firstCommitAt}`),
    check('stream_segments_compression_check', oneOf('compression', STREAM_COMPRESSIONS)),
    check('stream_segments_size_check', sql`${t.sizeBytes} IS NULL OR ${t.sizeBytes} >= 0`),
    check('stream_segments_sha256_check', sql`${t.sha256} IS NULL OR ${t.sha256} ~ '^[0-9a-f]{64}$'`),
  ],
)

/**
 * Idempotency-Key bindings: a key names the restore it started until it expires
 * (IDEMPOTENCY_KEY_TTL_SECONDS), then it may start a new one. The restore keeps the key it was
 * requested with (restores.idempotency_key, immutable) as part of its audit record.
 */
export const restoreIdempotencyKeys = pgTable(
  'restore_idempotency_keys',
  {
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    key: text('key').notNull(),
    restoreId: uuid('restore_id')
      .notNull()
      .references(() => restores.id),
    requestFingerprint: text('request_fingerprint').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.key] }), index('restore_idempotency_keys_created_idx').on(t.createdAt)],
)

/** Append-only audit of every restore status change, written by a trigger (migrations/0001). */
export const restoreTransitions = pgTable(
  'restore_transitions',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    restoreId: uuid('restore_id')
      .notNull()
      .references(() => restores.id),
    fromStatus: text('from_status', { enum: RESTORE_STATUSES }),
    toStatus: text('to_status', { enum: RESTORE_STATUSES }).notNull(),
    attempt: integer('attempt').notNull(),
    runnerId: text('runner_id'),
    errorCode: text('error_code'),
    at: timestamp('at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  },
  (t) => [index('restore_transitions_restore_idx').on(t.restoreId, t.id)],
)

/** Workspace webhooks (DESIGN.md "Webhooks"): the signing secret is encrypted at rest and never shown again. */
export const webhooks = pgTable(
  'webhooks',
  {
    id: id(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    url: text('url').notNull(),
    events: text('events', { enum: WEBHOOK_EVENTS }).array().notNull(),
    enabled: boolean('enabled').notNull().default(true),
    /** AES-256-GCM ciphertext (packages/secrets) of the `whsec_…` signing secret. */
    secretCiphertext: text('secret_ciphertext').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    deletedAt: ts('deleted_at'),
  },
  (t) => [
    index('webhooks_workspace_created_idx').on(t.workspaceId, t.createdAt.desc(), t.id.desc()),
    check('webhooks_secret_ciphertext_check', sql`${t.secretCiphertext} LIKE 'v1.%'`),
    check('webhooks_events_check', sql`cardinality(events) > 0`),
  ],
)

/**
 * The webhook outbox: one message per event and subscribed webhook, written by a trigger on
 * restores (migrations/0008_webhook_outbox.sql) in the very transaction that changes the
 * restore's status, whichever code path changed it. A runner's relay (services/runner/src/webhooks)
 * freezes the body and hands the message to pg-boss in one transaction, setting dispatched_at.
 */
export const webhookMessages = pgTable(
  'webhook_messages',
  {
    id: id(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    webhookId: uuid('webhook_id')
      .notNull()
      .references(() => webhooks.id),
    restoreId: uuid('restore_id')
      .notNull()
      .references(() => restores.id),
    event: text('event', { enum: WEBHOOK_EVENTS }).notNull(),
    /** When the restore's status changed: the body's `timestamp`. */
    occurredAt: ts('occurred_at').notNull().defaultNow(),
    /** The restore row as the transition left it (to_jsonb), so the body shows the restore at the event, not later. */
    restoreSnapshot: jsonb('restore_snapshot').notNull(),
    /** The signed body, byte for byte the same on every attempt; null until dispatched. */
    body: text('body'),
    dispatchedAt: ts('dispatched_at'),
  },
  (t) => [
    index('webhook_messages_undispatched_idx').on(t.occurredAt, t.id).where(sql`dispatched_at IS NULL`),
    check('webhook_messages_event_check', oneOf('event', WEBHOOK_EVENTS)),
    check('webhook_messages_dispatched_check', sql`(dispatched_at IS NULL) = (body IS NULL)`),
  ],
)

/** One row per delivery attempt of one event to one webhook: the delivery log. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: id(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    webhookId: uuid('webhook_id')
      .notNull()
      .references(() => webhooks.id),
    /** The Standard Webhooks `webhook-id`: the same for every attempt of one event. */
    messageId: text('message_id').notNull(),
    event: text('event', { enum: WEBHOOK_EVENTS }).notNull(),
    restoreId: uuid('restore_id').references(() => restores.id),
    attempt: integer('attempt').notNull(),
    statusCode: integer('status_code'),
    error: text('error'),
    deliveredAt: ts('delivered_at'),
    createdAt: createdAt(),
  },
  (t) => [
    index('webhook_deliveries_webhook_created_idx').on(t.webhookId, t.createdAt.desc(), t.id.desc()),
    check('webhook_deliveries_event_check', oneOf('event', WEBHOOK_EVENTS)),
    check('webhook_deliveries_attempt_check', sql`attempt >= 1`),
  ],
)
