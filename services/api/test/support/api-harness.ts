// Starts the real API for one test file: a fresh product database cloned from the migrated
// template, a started pg-boss, the app listening on a free port, and typed clients per token.
// Everything is torn down in reverse order when the test file ends.
import { join } from 'node:path'
import { createApiClient } from '@devpilot/api-client'
import { openDatabase } from '@devpilot/db'
import { createProductDatabase, type ProductDatabase, scratchDir, seedUser, seedWorkspace, testSecretBox } from '@devpilot/devenv/testing'
import { createBoss } from '@devpilot/queue'
import type { SecretBox } from '@devpilot/secrets'
import type { FastifyInstance } from 'fastify'
import type { PgBoss } from 'pg-boss'
import pino from 'pino'
import { type BuildAppOptions, buildApp } from '../../src/app.js'

export interface Harness {
  app: FastifyInstance
  database: ProductDatabase
  boss: PgBoss
  box: SecretBox
  baseUrl: string
  restoreRoot: string
  destinationRoot: string
  client(token?: string, headers?: Record<string, string>): ReturnType<typeof createApiClient>
}

interface TapLike {
  teardown(fn: () => unknown): void
}

export async function startApi(t: TapLike, config: Partial<BuildAppOptions['config']> = {}): Promise<Harness> {
  const later: Array<() => unknown> = []
  const collector = { teardown: (fn: () => unknown) => later.push(fn) }
  const database = await createProductDatabase(collector)
  const roots = scratchDir(collector, 'api-roots')
  const { key, box } = testSecretBox()
  const boss = createBoss({ url: database.url, max: 2, onError: () => {} })
  await boss.start()
  const restoreRoot = join(roots, 'files')
  const destinationRoot = join(roots, 'destinations')
  const app = await buildApp({
    config: { SECRETS_KEY: key, RESTORE_PATH_ROOTS: [restoreRoot], LOCAL_DESTINATION_ROOTS: [destinationRoot], ...config },
    database,
    boss,
    log: pino({ level: process.env.API_TEST_LOG_LEVEL ?? 'silent' }),
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('the API is not listening on a TCP port')
  const baseUrl = `http://127.0.0.1:${address.port}`
  t.teardown(async () => {
    await app.close()
    await boss.stop({ graceful: false, close: true })
    for (const fn of later.reverse()) await fn()
  })
  return {
    app,
    database,
    boss,
    box,
    baseUrl,
    restoreRoot,
    destinationRoot,
    client: (token, headers) => createApiClient({ baseUrl, ...(token === undefined ? {} : { token }), ...(headers ? { headers } : {}) }),
  }
}

/** The app wired to a database that does not answer (nothing listens on port 1), listening; its base URL. */
export async function startApiWithoutDatabase(t: TapLike): Promise<string> {
  const url = 'postgres://nobody@127.0.0.1:1/none'
  const database = openDatabase(url, { max: 1 })
  const boss = createBoss({ url, onError: () => {} })
  const app = await buildApp({
    config: { SECRETS_KEY: '1'.repeat(64), RESTORE_PATH_ROOTS: [], LOCAL_DESTINATION_ROOTS: [] },
    database,
    boss,
    log: pino({ level: 'silent' }),
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(async () => {
    await app.close()
    await database.close()
  })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening')
  return `http://127.0.0.1:${address.port}`
}

/** A workspace with an admin, an operator and a viewer, each with a token. */
export async function seedTeam(h: Harness) {
  const admin = await seedWorkspace(h.database.db)
  const operator = await seedUser(h.database.db, { workspaceId: admin.workspaceId, slug: admin.slug, role: 'operator', email: `operator@${admin.slug}.test` })
  const viewer = await seedUser(h.database.db, { workspaceId: admin.workspaceId, slug: admin.slug, role: 'viewer', email: `viewer@${admin.slug}.test` })
  return { workspaceId: admin.workspaceId, slug: admin.slug, admin, operator, viewer }
}
