// Target servers. The password is write-only: requests may carry it, responses only say
// whether one is set (`hasPassword`).
import { z } from 'zod'
import { serverEngineSchema, sslModeSchema } from '../enums.js'
import { idSchema, pageSchema, paginationQuerySchema, timestampSchema } from './common.js'

const name = z.string().trim().min(1).max(200)
const host = z.string().trim().min(1).max(255)
const port = z.number().int().min(1).max(65535)
const username = z.string().min(1).max(63)
const password = z.string().min(1).max(1024)
const maintenanceDatabase = z.string().min(1).max(63)

export const serverSchema = z
  .object({
    id: idSchema,
    name: z.string(),
    engine: serverEngineSchema,
    host: z.string(),
    port: z.number().int(),
    username: z.string(),
    maintenanceDatabase: z.string(),
    sslmode: sslModeSchema,
    hasPassword: z.boolean(),
    createdAt: timestampSchema,
  })
  .meta({ id: 'Server' })
export type Server = z.infer<typeof serverSchema>

export const createServerSchema = z
  .object({
    name,
    engine: serverEngineSchema.default('postgresql'),
    host,
    port: port.default(5432),
    username,
    password: password.optional().describe('Write-only; stored encrypted.'),
    maintenanceDatabase: maintenanceDatabase.default('postgres'),
    sslmode: sslModeSchema.default('prefer'),
  })
  .strict()
  .meta({ id: 'ServerCreate' })
export type CreateServer = z.infer<typeof createServerSchema>

export const updateServerSchema = z
  .object({
    name: name.optional(),
    host: host.optional(),
    port: port.optional(),
    username: username.optional(),
    password: password.nullable().optional().describe('Write-only. A string replaces the password, null removes it, absent keeps it.'),
    maintenanceDatabase: maintenanceDatabase.optional(),
    sslmode: sslModeSchema.optional(),
  })
  .strict()
  .meta({ id: 'ServerUpdate' })
export type UpdateServer = z.infer<typeof updateServerSchema>

export const serverPageSchema = pageSchema(serverSchema, 'ServerPage')
export const listServersQuerySchema = paginationQuerySchema
