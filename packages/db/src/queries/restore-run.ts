// The runner's read model of one restore: everything a run needs (record, backup, plan,
// destination, target server) in one read. A job carries only the restore id, so the restore is
// looked up by id and its workspace id is returned for every later query to filter on.
import type { BackupFormat, BackupManifest, DestinationType, PlanVerification, RestoreInclude, RestoreStatus, SslMode } from '@devpilot/contracts'
import { and, eq, sql } from 'drizzle-orm'
import type { Db } from '../client.js'
import { backups, destinations, plans, restores, servers, workspaces } from '../schema.js'
import { destinationLocationColumns } from './destinations.js'

/** A destination in the shape a run opens artifacts from (secret still encrypted). */
export const runDestinationColumns = {
  id: destinations.id,
  type: destinations.type,
  enabled: destinations.enabled,
  deleted: sql<boolean>`${destinations.deletedAt} IS NOT NULL`,
  ...destinationLocationColumns,
  secretAccessKeyCiphertext: destinations.secretAccessKeyCiphertext,
}

export interface RunDestination {
  id: string
  type: DestinationType
  enabled: boolean
  deleted: boolean
  bucket: string | null
  region: string | null
  endpoint: string | null
  prefix: string | null
  forcePathStyle: boolean | null
  accessKeyId: string | null
  secretAccessKeyCiphertext: string | null
  path: string | null
}

export interface RestoreRun {
  id: string
  workspaceId: string
  /** Names the workspace's folder under the runner's roots (see contracts workspaceRoots). */
  workspaceSlug: string
  status: RestoreStatus
  attempt: number
  runnerId: string | null
  heartbeatAgeSeconds: number | null
  overwrite: boolean
  /** A preview: checks and change list only, the target is never touched. */
  dryRun: boolean
  /** Point-in-time restores: the moment to replay up to (inclusive), as PostgreSQL's timestamptz text. */
  pitTargetTime: string | null
  /** A partial restore's selection (null: the whole backup) and, for databases, the new schema it lands in. */
  include: RestoreInclude | null
  targetSchema: string | null
  target: { serverId: string | null; database: string | null; path: string | null }
  /** A drill restores into a scratch target, verifies it, and drops it unless drillKeep. */
  drill: boolean
  drillKeep: boolean
  /** The request's `verify` (false: verification is skipped). */
  verify: boolean
  backup: {
    id: string
    format: BackupFormat
    artifactKey: string
    sizeBytes: number | null
    sha256: string | null
    snapshotLsn: string | null
    manifest: BackupManifest | null
  }
  plan: { id: string; sourceServerId: string | null; verification: PlanVerification | null }
  destination: RunDestination
  server: {
    id: string
    host: string
    port: number
    username: string
    passwordCiphertext: string | null
    maintenanceDatabase: string
    sslmode: SslMode
    deleted: boolean
  } | null
}

/** Everything a run needs about one restore, or null when there is no such restore. */
export async function loadRestoreRun(db: Db, restoreId: string): Promise<RestoreRun | null> {
  const [row] = await db
    .select({
      id: restores.id,
      workspaceId: restores.workspaceId,
      workspaceSlug: workspaces.slug,
      status: restores.status,
      attempt: restores.attempt,
      runnerId: restores.runnerId,
      heartbeatAge: sql<string | null>`extract(epoch FROM now() - ${restores.heartbeatAt})::text`,
      overwrite: restores.overwrite,
      dryRun: restores.dryRun,
      pitTargetTime: restores.pitTargetTime,
      include: restores.include,
      targetSchema: restores.targetSchema,
      target: { serverId: restores.targetServerId, database: restores.targetDatabase, path: restores.targetPath },
      drill: restores.drill,
      drillKeep: restores.drillKeep,
      verify: restores.verify,
      backup: {
        id: backups.id,
        format: backups.format,
        artifactKey: backups.artifactKey,
        sizeBytes: backups.sizeBytes,
        sha256: backups.sha256,
        snapshotLsn: backups.snapshotLsn,
        manifest: backups.manifest,
      },
      plan: { id: plans.id, sourceServerId: plans.sourceServerId, verification: plans.verification },
      destination: runDestinationColumns,
      // Flat, not nested: the server is left-joined and is mapped to null below when absent.
      serverId: servers.id,
      host: servers.host,
      port: servers.port,
      username: servers.username,
      passwordCiphertext: servers.passwordCiphertext,
      maintenanceDatabase: servers.maintenanceDatabase,
      sslmode: servers.sslmode,
      serverDeleted: sql<boolean>`${servers.deletedAt} IS NOT NULL`,
    })
    .from(restores)
    .innerJoin(workspaces, eq(workspaces.id, restores.workspaceId))
    .innerJoin(backups, and(eq(backups.id, restores.backupId), eq(backups.workspaceId, restores.workspaceId)))
    .innerJoin(plans, and(eq(plans.id, restores.planId), eq(plans.workspaceId, restores.workspaceId)))
    .innerJoin(destinations, and(eq(destinations.id, backups.destinationId), eq(destinations.workspaceId, restores.workspaceId)))
    .leftJoin(servers, and(eq(servers.id, restores.targetServerId), eq(servers.workspaceId, restores.workspaceId)))
    .where(eq(restores.id, restoreId))
  if (!row) return null
  const { heartbeatAge, serverId, host, port, username, passwordCiphertext, maintenanceDatabase, sslmode, serverDeleted, ...run } = row
  return {
    ...run,
    heartbeatAgeSeconds: heartbeatAge === null ? null : Number(heartbeatAge),
    server:
      serverId === null || host === null || port === null || username === null || maintenanceDatabase === null || sslmode === null
        ? null
        : { id: serverId, host, port, username, passwordCiphertext, maintenanceDatabase, sslmode, deleted: serverDeleted === true },
  }
}

/** A destination row in the shape a run reads it, for artifacts that are not the backup's (stream segments). */
export async function loadRunDestination(db: Db, params: { workspaceId: string; destinationId: string }): Promise<RunDestination | null> {
  const [row] = await db
    .select(runDestinationColumns)
    .from(destinations)
    .where(and(eq(destinations.id, params.destinationId), eq(destinations.workspaceId, params.workspaceId)))
  return row ?? null
}
