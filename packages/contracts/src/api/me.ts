// GET /v1/me: who the presented token belongs to.
import { z } from 'zod'
import { roleSchema } from '../enums.js'
import { idSchema } from './common.js'

export const meSchema = z
  .object({
    user: z.object({ id: idSchema, email: z.string(), role: roleSchema }),
    workspace: z.object({ id: idSchema, slug: z.string(), name: z.string() }),
  })
  .meta({ id: 'Me' })
export type Me = z.infer<typeof meSchema>
