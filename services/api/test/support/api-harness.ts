// The API in process for one test file, on the test kit's product (a fresh database cloned from
// the migrated template, file roots, a started pg-boss): the app listening on a free port, and
// typed clients per token. Everything is torn down in reverse order when the test file ends.
import { createApiClient } from '@devpilot/api-client'
import { type Database, openDatabase } from '@devpilot/db'
import { createTestProduct, type ProductDatabase, seedTeam as seedTeamIn, startQueue, type Teardown, teardownStack } from '@devpilot/devenv/testing'
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

/** Builds the app on `database` and `boss`, listening on a free loopback port; closed at teardown. */
async function listen(t: Teardown, options: { config: BuildAppOptions['config']; database: Database; boss: PgBoss; logLevel?: string }) {
  const app = await buildApp({ ...options, log: pino({ level: options.logLevel ?? 'silent' }) })
  t.teardown(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('the API is not listening on a TCP port')
  return { app, baseUrl: `http://127.0.0.1:${address.port}` }
}

export async function startApi(t: Teardown, overrides: Partial<BuildAppOptions['config']> = {}): Promise<Harness> {
  const stack = teardownStack(t)
  const product = await createTestProduct(stack, { prefix: 'api-roots' })
  const { database, box } = product
  const boss = await startQueue(database.url)
  stack.teardown(() => boss.stop({ graceful: false, close: true }))
  const { restoreRoots: restoreRoot, destinationRoots: destinationRoot } = product
  const config = { SECRETS_KEY: product.secretsKey, RESTORE_PATH_ROOTS: [restoreRoot], LOCAL_DESTINATION_ROOTS: [destinationRoot], ...overrides }
  const { app, baseUrl } = await listen(stack, {
    config,
    database,
    boss,
    ...(process.env.API_TEST_LOG_LEVEL ? { logLevel: process.env.API_TEST_LOG_LEVEL } : {}),
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
export async function startApiWithoutDatabase(t: Teardown, overrides: Partial<BuildAppOptions['config']> = {}): Promise<string> {
  const stack = teardownStack(t)
  const url = 'postgres://nobody@127.0.0.1:1/none'
  const database = openDatabase(url, { max: 1 })
  stack.teardown(() => database.close())
  const config = { SECRETS_KEY: '1'.repeat(64), RESTORE_PATH_ROOTS: [], LOCAL_DESTINATION_ROOTS: [], ...overrides }
  return (await listen(stack, { config, database, boss: createBoss({ url, onError: () => {} }) })).baseUrl
}

/** A workspace with an admin, an operator and a viewer, each with a token. */
export const seedTeam = (h: Harness) => seedTeamIn(h.database.db)
