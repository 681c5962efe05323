// `pnpm admin <command>`: bootstrap workspaces, users and tokens. create-token prints ONLY the
// token on stdout, so scripts can capture it (`TOKEN=$(pnpm -s admin create-token ...)`);
// everything else a person needs goes to stderr.
//   create-workspace --slug acme [--name "Acme Inc"]
//   create-token --workspace acme --email ops@acme.test [--role viewer|operator|admin] [--name ci]
//   list-tokens --workspace acme
//   revoke-token --workspace acme --id <token id>
import { parseArgs } from 'node:util'
import { adminConfigSchema, ConfigError, parseEnv } from '@devpilot/config'
import { roleSchema } from '@devpilot/contracts'
import { findOrCreateUser, findOrCreateWorkspace, insertApiToken, listApiTokens, openDatabase, revokeApiToken } from '@devpilot/db'
import { generateApiToken } from '@devpilot/secrets'
import { z } from 'zod'

const USAGE = `usage:
  pnpm admin create-workspace --slug <slug> [--name <name>]
  pnpm admin create-token --workspace <slug> --email <email> [--role viewer|operator|admin] [--name <label>]
  pnpm admin list-tokens --workspace <slug>
  pnpm admin revoke-token --workspace <slug> --id <token id>`

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes')
const commands = {
  'create-workspace': z.object({ slug, name: z.string().min(1).optional() }),
  'create-token': z.object({ workspace: slug, email: z.email(), role: roleSchema.optional(), name: z.string().min(1).optional() }),
  'list-tokens': z.object({ workspace: slug }),
  'revoke-token': z.object({ workspace: slug, id: z.uuid() }),
}
type Command = keyof typeof commands

function fail(message: string): never {
  console.error(message)
  process.exit(2)
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    slug: { type: 'string' },
    name: { type: 'string' },
    workspace: { type: 'string' },
    email: { type: 'string' },
    role: { type: 'string' },
    id: { type: 'string' },
  },
})
const command = positionals[0]
if (!command || !(command in commands)) fail(USAGE)

let config: z.output<typeof adminConfigSchema>
try {
  config = parseEnv('admin', adminConfigSchema, process.env)
} catch (error) {
  fail(error instanceof ConfigError ? error.message : String(error))
}

const database = openDatabase(config.DATABASE_URL, { max: 1, applicationName: 'devpilot-restore-admin' })
try {
  switch (command as Command) {
    case 'create-workspace': {
      const args = commands['create-workspace'].safeParse(values)
      if (!args.success) fail(`${z.prettifyError(args.error)}\n${USAGE}`)
      const ws = await findOrCreateWorkspace(database.db, { slug: args.data.slug, name: args.data.name })
      console.error(ws.created ? `created workspace ${ws.slug}` : `workspace ${ws.slug} already exists`)
      console.log(ws.id)
      break
    }
    case 'create-token': {
      const args = commands['create-token'].safeParse(values)
      if (!args.success) fail(`${z.prettifyError(args.error)}\n${USAGE}`)
      const ws = await findOrCreateWorkspace(database.db, { slug: args.data.workspace })
      const user = await findOrCreateUser(database.db, { workspaceId: ws.id, email: args.data.email, role: args.data.role })
      const { token, hash } = generateApiToken()
      await insertApiToken(database.db, { workspaceId: ws.id, userId: user.id, tokenHash: hash, name: args.data.name })
      console.error(`token for ${user.email} (${user.role}) in workspace ${ws.slug}`)
      console.log(token)
      break
    }
    case 'list-tokens': {
      const args = commands['list-tokens'].safeParse(values)
      if (!args.success) fail(`${z.prettifyError(args.error)}\n${USAGE}`)
      for (const t of await listApiTokens(database.db, { workspaceSlug: args.data.workspace })) {
        console.log([t.id, t.email, t.role, t.name ?? '-', t.createdAt, t.revokedAt ? `revoked ${t.revokedAt}` : 'active'].join('\t'))
      }
      break
    }
    case 'revoke-token': {
      const args = commands['revoke-token'].safeParse(values)
      if (!args.success) fail(`${z.prettifyError(args.error)}\n${USAGE}`)
      if (!(await revokeApiToken(database.db, { workspaceSlug: args.data.workspace, tokenId: args.data.id }))) {
        fail(`no active token ${args.data.id} in workspace ${args.data.workspace}`)
      }
      console.error(`revoked ${args.data.id}`)
      break
    }
  }
} finally {
  await database.close()
}
