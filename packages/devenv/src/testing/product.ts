// The product as a test file starts it: its own database cloned from the migrated template, a
// secrets key, the file roots both services are configured with (RESTORE_PATH_ROOTS and
// LOCAL_DESTINATION_ROOTS, parents of one folder per workspace), the environment both services
// share, and a started pg-boss with the restore queue.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { createBoss, ensureQueues } from '@devpilot/queue'
import type { SecretBox } from '@devpilot/secrets'
import type { PgBoss } from 'pg-boss'
import { createProductDatabase, type ProductDatabase } from './databases.js'
import { testEnv } from './env.js'
import { testSecretBox } from './fixtures.js'
import { scratchDir } from './scratch.js'
import type { Teardown } from './teardown.js'

export interface TestProduct {
  database: ProductDatabase
  secretsKey: string
  box: SecretBox
  /** RESTORE_PATH_ROOTS: a workspace's file restores go under `<restoreRoots>/<slug>`. */
  restoreRoots: string
  /** LOCAL_DESTINATION_ROOTS: a workspace's local destinations live under `<destinationRoots>/<slug>`. */
  destinationRoots: string
  /** The environment both services are started with (add service-specific variables on top). */
  serviceEnv: Record<string, string>
}

export async function createTestProduct(t: Teardown, options: { prefix?: string } = {}): Promise<TestProduct> {
  const database = await createProductDatabase(t)
  const roots = scratchDir(t, options.prefix ?? 'roots')
  const restoreRoots = join(roots, 'files')
  const destinationRoots = join(roots, 'destinations')
  mkdirSync(restoreRoots)
  mkdirSync(destinationRoots)
  const { key, box } = testSecretBox()
  return {
    database,
    secretsKey: key,
    box,
    restoreRoots,
    destinationRoots,
    serviceEnv: {
      DATABASE_URL: database.url,
      SECRETS_KEY: key,
      RESTORE_PATH_ROOTS: restoreRoots,
      LOCAL_DESTINATION_ROOTS: destinationRoots,
      PG_BIN_DIR: testEnv().PG_BIN_DIR,
    },
  }
}

/** Creates a workspace's own folders under both roots. */
export function workspaceFolders(product: TestProduct, slug: string): { restoreRoot: string; destinationRoot: string } {
  const restoreRoot = join(product.restoreRoots, slug)
  const destinationRoot = join(product.destinationRoots, slug)
  mkdirSync(restoreRoot)
  mkdirSync(destinationRoot)
  return { restoreRoot, destinationRoot }
}

/** pg-boss started on `url` with its queues in place, as the services start it. */
export async function startQueue(url: string): Promise<PgBoss> {
  const boss = createBoss({ url, max: 2, onError: () => {} })
  await boss.start()
  await ensureQueues(boss)
  return boss
}

/** startQueue, stopped at teardown. */
export async function startTestQueue(t: Teardown, url: string): Promise<PgBoss> {
  const boss = await startQueue(url)
  t.teardown(() => boss.stop({ graceful: false, close: true }))
  return boss
}
