// Storage destinations: S3-compatible buckets or local directories. The S3 secret is write-only.
import { z } from 'zod'
import { idSchema, pageSchema, paginationQuerySchema, timestampSchema } from './common.js'

const name = z.string().trim().min(1).max(200)
const absolutePath = z.string().min(1).max(4096).startsWith('/', 'must be an absolute path')

export const s3DestinationSchema = z
  .object({
    id: idSchema,
    name: z.string(),
    type: z.literal('s3'),
    bucket: z.string(),
    region: z.string(),
    endpoint: z.string().nullable(),
    prefix: z.string().nullable(),
    forcePathStyle: z.boolean().nullable(),
    accessKeyId: z.string(),
    enabled: z.boolean(),
    createdAt: timestampSchema,
  })
  .meta({ id: 'S3Destination' })

export const localDestinationSchema = z
  .object({
    id: idSchema,
    name: z.string(),
    type: z.literal('local'),
    path: z.string(),
    enabled: z.boolean(),
    createdAt: timestampSchema,
  })
  .meta({ id: 'LocalDestination' })

export const destinationSchema = z.discriminatedUnion('type', [s3DestinationSchema, localDestinationSchema]).meta({ id: 'Destination' })
export type Destination = z.infer<typeof destinationSchema>

const s3Fields = {
  bucket: z.string().min(3).max(63),
  region: z.string().min(1).max(64),
  endpoint: z.url().max(2048),
  prefix: z.string().max(1024),
  forcePathStyle: z.boolean(),
  accessKeyId: z.string().min(1).max(256),
  secretAccessKey: z.string().min(1).max(1024).describe('Write-only; stored encrypted.'),
}

export const createS3DestinationSchema = z
  .object({
    name,
    type: z.literal('s3'),
    bucket: s3Fields.bucket,
    region: s3Fields.region,
    endpoint: s3Fields.endpoint.nullable().optional(),
    prefix: s3Fields.prefix.nullable().optional(),
    forcePathStyle: s3Fields.forcePathStyle.nullable().optional(),
    accessKeyId: s3Fields.accessKeyId,
    secretAccessKey: s3Fields.secretAccessKey,
    enabled: z.boolean().default(true),
  })
  .strict()
  .meta({ id: 'S3DestinationCreate' })

export const createLocalDestinationSchema = z
  .object({
    name,
    type: z.literal('local'),
    path: absolutePath.describe('Absolute directory; must lie under LOCAL_DESTINATION_ROOTS.'),
    enabled: z.boolean().default(true),
  })
  .strict()
  .meta({ id: 'LocalDestinationCreate' })

export const createDestinationSchema = z.discriminatedUnion('type', [createS3DestinationSchema, createLocalDestinationSchema]).meta({ id: 'DestinationCreate' })
export type CreateDestination = z.infer<typeof createDestinationSchema>

/** One body for both types; fields of the other type are refused (validation_failed). The type itself never changes. */
export const updateDestinationSchema = z
  .object({
    name: name.optional(),
    enabled: z.boolean().optional(),
    bucket: s3Fields.bucket.optional(),
    region: s3Fields.region.optional(),
    endpoint: s3Fields.endpoint.nullable().optional(),
    prefix: s3Fields.prefix.nullable().optional(),
    forcePathStyle: s3Fields.forcePathStyle.nullable().optional(),
    accessKeyId: s3Fields.accessKeyId.optional(),
    secretAccessKey: s3Fields.secretAccessKey.optional(),
    path: absolutePath.optional(),
  })
  .strict()
  .meta({ id: 'DestinationUpdate' })
export type UpdateDestination = z.infer<typeof updateDestinationSchema>

export const S3_ONLY_DESTINATION_FIELDS = ['bucket', 'region', 'endpoint', 'prefix', 'forcePathStyle', 'accessKeyId', 'secretAccessKey'] as const
export const LOCAL_ONLY_DESTINATION_FIELDS = ['path'] as const

export const destinationPageSchema = pageSchema(destinationSchema, 'DestinationPage')
export const listDestinationsQuerySchema = paginationQuerySchema
