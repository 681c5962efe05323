// The benchmark's tenant: a workspace, an admin token (straight into the database, as
// `pnpm admin create-token` does), and through the API the bench cluster as a target server, the
// s3rver bucket and a local folder as destinations, database plans for both and one files plan.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { type ApiClient, createApiClient } from '@devpilot/api-client'
import { findOrCreateUser, findOrCreateWorkspace, insertApiToken, openDatabase } from '@devpilot/db'
import { generateApiToken } from '@devpilot/secrets'
import { must } from './api.js'
import { BENCH_WORKSPACE, BUCKET, type System } from './system.js'

export interface Workspace {
  workspaceId: string
  token: string
  api: ApiClient
  serverId: string
  destinationId: string
  databasePlanId: string
  /** A `local` destination (a folder under LOCAL_DESTINATION_ROOTS) and a database plan writing to it. */
  localDestinationPath: string
  localDatabasePlanId: string
  filesPlanId: string
}

export async function createWorkspace(system: System): Promise<Workspace> {
  const database = openDatabase(system.databaseUrl, { max: 1 })
  const workspace = await findOrCreateWorkspace(database.db, { slug: BENCH_WORKSPACE })
  const user = await findOrCreateUser(database.db, { workspaceId: workspace.id, email: 'bench@devpilot.local', role: 'admin' })
  const { token, hash } = generateApiToken()
  await insertApiToken(database.db, { workspaceId: workspace.id, userId: user.id, tokenHash: hash, name: 'pnpm bench' })
  await database.close()

  const api = createApiClient({ baseUrl: system.apiUrl, token })
  const { cluster, s3 } = system
  const server = must(
    await api.POST('/v1/servers', {
      body: { name: 'bench cluster', host: cluster.host, port: cluster.port, username: cluster.user, password: cluster.password, sslmode: 'disable' },
    }),
    'create server',
  )
  const destination = must(
    await api.POST('/v1/destinations', {
      body: {
        name: 'bench s3rver',
        type: 's3',
        bucket: BUCKET,
        region: s3.region,
        endpoint: s3.endpoint,
        forcePathStyle: true,
        accessKeyId: s3.accessKeyId,
        secretAccessKey: s3.secretAccessKey,
      },
    }),
    'create destination',
  )
  const databasePlan = must(
    await api.POST('/v1/plans', {
      body: { name: 'bench database', type: 'database', sourceServerId: server.id, sourceDatabase: 'bench_source', destinationId: destination.id },
    }),
    'create database plan',
  )
  const localDestinationPath = join(system.destinationsRoot, BENCH_WORKSPACE)
  mkdirSync(localDestinationPath, { recursive: true })
  const localDestination = must(
    await api.POST('/v1/destinations', { body: { name: 'bench local', type: 'local', path: localDestinationPath } }),
    'create local destination',
  )
  const localDatabasePlan = must(
    await api.POST('/v1/plans', {
      body: { name: 'bench database (local)', type: 'database', sourceServerId: server.id, sourceDatabase: 'bench_source', destinationId: localDestination.id },
    }),
    'create local database plan',
  )
  const filesPlan = must(
    await api.POST('/v1/plans', { body: { name: 'bench files', type: 'files', sourcePath: join(system.filesRoot, 'source'), destinationId: destination.id } }),
    'create files plan',
  )
  return {
    workspaceId: workspace.id,
    token,
    api,
    serverId: server.id,
    destinationId: destination.id,
    databasePlanId: databasePlan.id,
    localDestinationPath,
    localDatabasePlanId: localDatabasePlan.id,
    filesPlanId: filesPlan.id,
  }
}
