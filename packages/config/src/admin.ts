import { z } from 'zod'
import { databaseUrl } from './fields.js'

/** The admin CLI only needs the product database. */
export const adminConfigSchema = z.object({ DATABASE_URL: databaseUrl })
export type AdminConfig = z.output<typeof adminConfigSchema>
