// `pnpm admin <command>`: bootstrap workspaces, users and tokens. create-token prints ONLY the
// token on stdout, so scripts can capture it (`TOKEN=$(pnpm -s admin create-token ...)`);
// everything else a person needs goes to stderr.
//   create-workspace --slug acme [--name "Acme Inc"]
//   create-token --workspace acme --email ops@acme.test [--role viewer|operator|admin] [--name ci]
//   list-tokens --workspace acme
//   revoke-token --workspace acme --id <token id>
//   rotate-secrets-key   (SECRETS_KEY = the new key, SECRETS_KEY_PREVIOUS = the one it replaces)
import { parseArgs } from 'node:util'
import { adminConfigSchema, ConfigError, parseEnv, rotateSecretsConfigSchema } from '@devpilot/config'
import { roleSchema } from '@devpilot/contracts'
import { findOrCreateUser, findOrCreateWorkspace, insertApiToken, listApiTokens, openDatabase, reencryptSecrets, revokeApiToken } from '@devpilot/db'
import { createSecretBox, generateApiToken } from '@devpilot/secrets'
import { z } from 'zod'

const USAGE = `usage:
  pnpm admin create-workspace --slug <slug> [--name <name>]
  pnpm admin create-token --workspace <slug> --email <email> [--role viewer|operator|admin] [--name <label>]
  pnpm admin list-tokens --workspace <slug>
  pnpm admin revoke-token --workspace <slug> --id <token id>
  SECRETS_KEY=<new> SECRETS_KEY_PREVIOUS=<old> pnpm admin rotate-secrets-key`

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes')
const commands = {
  'create-workspace': z.object({ slug, name: z.string().min(1).optional() }),
  'create-token': z.object({ workspace: slug, email: z.email(), role: roleSchema.optional(), name: z.string().min(1).optional() }),
  'list-tokens': z.object({ workspace: slug }),
  'revoke-token': z.object({ workspace: slug, id: z.uuid() }),
  'rotate-secrets-key': z.object({}),
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
    case 'rotate-secrets-key': {
      // Run once every API and runner process has SECRETS_KEY=<new> and SECRETS_KEY_PREVIOUS=<old>;
      // afterwards SECRETS_KEY_PREVIOUS can be removed everywhere.
      let keys: z.output<typeof rotateSecretsConfigSchema>
      try {
        keys = parseEnv('admin', rotateSecretsConfigSchema, process.env)
      } catch (error) {
        fail(error instanceof ConfigError ? error.message : String(error))
      }
      if (!keys.SECRETS_KEY_PREVIOUS) fail('Set SECRETS_KEY to the new key and SECRETS_KEY_PREVIOUS to the key it replaces.')
      const counts = await reencryptSecrets(database.db, createSecretBox(keys.SECRETS_KEY, keys.SECRETS_KEY_PREVIOUS))
      console.error(
        `re-encrypted ${counts.servers} server passwords, ${counts.destinations} destination secrets and ${counts.webhooks} webhook secrets under the new SECRETS_KEY`,
      )
      break
    }
  }
} finally {
  await database.close()
}
