// Per-test databases: each test (or file) clones the migrated template database, so test files
// run in parallel without sharing state, and drops it when the test ends.
import { randomBytes } from 'node:crypto'
import { type Database, openDatabase } from '@devpilot/db'
import postgres from 'postgres'
import { testEnv } from './env.js'
import type { Teardown } from './teardown.js'

export function databaseUrl(clusterUrl: string, database: string): string {
  const url = new URL(clusterUrl)
  url.pathname = `/${encodeURIComponent(database)}`
  return url.toString()
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`
}

/** Runs one statement as the cluster's superuser on its `postgres` database. */
export async function adminQuery<T extends object = Record<string, unknown>>(clusterUrl: string, text: string, params: unknown[] = []): Promise<T[]> {
  const sql = postgres(clusterUrl, { max: 1, onnotice: () => {} })
  try {
    return (await sql.unsafe(text, params as never[])) as unknown as T[]
  } finally {
    await sql.end({ timeout: 5 })
  }
}

export async function dropDatabase(clusterUrl: string, name: string): Promise<void> {
  await adminQuery(clusterUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
}

/** An empty database on a test cluster (default: the main one), dropped at teardown. */
export async function createEmptyDatabase(t: Teardown, options: { cluster?: string; prefix?: string } = {}): Promise<{ name: string; url: string }> {
  const cluster = options.cluster ?? testEnv().DEVPILOT_TEST_PG_URL
  const name = uniqueName(options.prefix ?? 'scratch')
  await adminQuery(cluster, `CREATE DATABASE "${name}"`)
  t.teardown(() => dropDatabase(cluster, name))
  return { name, url: databaseUrl(cluster, name) }
}

export interface ProductDatabase extends Database {
  name: string
  url: string
}

/** A fresh, migrated product database cloned from the template, dropped at teardown. */
export async function createProductDatabase(t: Teardown): Promise<ProductDatabase> {
  const env = testEnv()
  const name = uniqueName('product')
  await adminQuery(env.DEVPILOT_TEST_PG_URL, `CREATE DATABASE "${name}" TEMPLATE "${env.DEVPILOT_TEST_TEMPLATE_DB}"`)
  const url = databaseUrl(env.DEVPILOT_TEST_PG_URL, name)
  const database = openDatabase(url, { max: 5 })
  t.teardown(async () => {
    await database.close()
    await dropDatabase(env.DEVPILOT_TEST_PG_URL, name)
  })
  return { ...database, name, url }
}
