// Storage destinations. The S3 secret access key is encrypted before it reaches SQL and bound to
// the row id; only the runner decrypts it, to open the bucket. Deleting is soft: backups keep
// pointing at the row and their restores fail with destination_unavailable.
import type { CreateDestination, Destination, Page, UpdateDestination } from '@devpilot/contracts'
import type { SecretBox } from '@devpilot/secrets'
import { and, eq, isNull, sql } from 'drizzle-orm'
import { type Db, isoTimestamp } from '../client.js'
import { destinations } from '../schema.js'
import { afterCursor, newestFirst, type PageParams, toPage } from './pagination.js'

export type NewDestination =
  | { workspaceId: string; name: string; type: 'local'; path: string; enabled?: boolean }
  | {
      workspaceId: string
      name: string
      type: 's3'
      bucket: string
      region: string
      endpoint?: string | null
      prefix?: string | null
      forcePathStyle?: boolean | null
      accessKeyId: string
      secretAccessKey: string
      enabled?: boolean
    }

export function encryptDestinationSecret(box: SecretBox, destinationId: string, secret: string): string {
  return box.encrypt(secret, `destination:${destinationId}`)
}

export function decryptDestinationSecret(box: SecretBox, destinationId: string, ciphertext: string): string {
  return box.decrypt(ciphertext, `destination:${destinationId}`)
}

export async function insertDestination(db: Db, box: SecretBox, input: NewDestination) {
  const id = crypto.randomUUID()
  const values =
    input.type === 'local'
      ? { id, workspaceId: input.workspaceId, name: input.name, type: 'local', path: input.path, enabled: input.enabled ?? true }
      : {
          id,
          workspaceId: input.workspaceId,
          name: input.name,
          type: 's3',
          bucket: input.bucket,
          region: input.region,
          endpoint: input.endpoint ?? null,
          prefix: input.prefix ?? null,
          forcePathStyle: input.forcePathStyle ?? null,
          accessKeyId: input.accessKeyId,
          secretAccessKeyCiphertext: encryptDestinationSecret(box, id, input.secretAccessKey),
          enabled: input.enabled ?? true,
        }
  const [row] = await db.insert(destinations).values(values).returning({ id: destinations.id })
  if (!row) throw new Error('destination insert returned nothing')
  return row
}

const destinationColumns = {
  id: destinations.id,
  name: destinations.name,
  type: destinations.type,
  enabled: destinations.enabled,
  bucket: destinations.bucket,
  region: destinations.region,
  endpoint: destinations.endpoint,
  prefix: destinations.prefix,
  forcePathStyle: destinations.forcePathStyle,
  accessKeyId: destinations.accessKeyId,
  path: destinations.path,
  createdAt: destinations.createdAt,
}
function selectDestinations(db: Db) {
  return db.select(destinationColumns).from(destinations)
}
type DestinationRow = Awaited<ReturnType<typeof selectDestinations>>[number]

export function toDestination(row: DestinationRow): Destination {
  const base = { id: row.id, name: row.name, enabled: row.enabled, createdAt: isoTimestamp(row.createdAt) }
  if (row.type === 'local') return { ...base, type: 'local', path: row.path ?? '' }
  return {
    ...base,
    type: 's3',
    bucket: row.bucket ?? '',
    region: row.region ?? '',
    endpoint: row.endpoint,
    prefix: row.prefix,
    forcePathStyle: row.forcePathStyle,
    accessKeyId: row.accessKeyId ?? '',
  }
}

const live = (workspaceId: string) => and(eq(destinations.workspaceId, workspaceId), isNull(destinations.deletedAt))

export async function listDestinations(db: Db, params: { workspaceId: string } & PageParams): Promise<Page<Destination>> {
  const rows = await selectDestinations(db)
    .where(and(live(params.workspaceId), afterCursor(destinations.createdAt, destinations.id, params.cursor)))
    .orderBy(...newestFirst(destinations.createdAt, destinations.id))
    .limit(params.limit + 1)
  return toPage(rows, params.limit, toDestination)
}

/** A destination of the workspace; deleted ones only with includeDeleted (backup detail shows them). */
export async function getDestination(db: Db, params: { workspaceId: string; id: string; includeDeleted?: boolean }): Promise<Destination | null> {
  const [row] = await selectDestinations(db).where(
    and(params.includeDeleted ? eq(destinations.workspaceId, params.workspaceId) : live(params.workspaceId), eq(destinations.id, params.id)),
  )
  return row ? toDestination(row) : null
}

export async function createDestination(db: Db, box: SecretBox, params: { workspaceId: string; input: CreateDestination }): Promise<Destination> {
  const { id } = await insertDestination(db, box, { workspaceId: params.workspaceId, ...params.input })
  const created = await getDestination(db, { workspaceId: params.workspaceId, id })
  if (!created) throw new Error('destination vanished after insert')
  return created
}

/** The caller has checked the patch fits the destination's type; the shape CHECK backs that up. */
export async function updateDestination(
  db: Db,
  box: SecretBox,
  params: { workspaceId: string; id: string; patch: UpdateDestination },
): Promise<Destination | null> {
  const { patch } = params
  const [row] = await db
    .update(destinations)
    .set({
      name: patch.name,
      enabled: patch.enabled,
      bucket: patch.bucket,
      region: patch.region,
      endpoint: patch.endpoint,
      prefix: patch.prefix,
      forcePathStyle: patch.forcePathStyle,
      accessKeyId: patch.accessKeyId,
      path: patch.path,
      ...(patch.secretAccessKey === undefined ? {} : { secretAccessKeyCiphertext: encryptDestinationSecret(box, params.id, patch.secretAccessKey) }),
      updatedAt: sql`now()`,
    })
    .where(and(live(params.workspaceId), eq(destinations.id, params.id)))
    .returning(destinationColumns)
  return row ? toDestination(row) : null
}

export async function softDeleteDestination(db: Db, params: { workspaceId: string; id: string }): Promise<boolean> {
  const rows = await db
    .update(destinations)
    .set({ deletedAt: sql`now()` })
    .where(and(live(params.workspaceId), eq(destinations.id, params.id)))
    .returning({ id: destinations.id })
  return rows.length > 0
}
