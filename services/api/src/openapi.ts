// The OpenAPI 3.1 document's frame (info, servers, tags, security scheme) and the swagger plugin
// options; operations and component schemas come from the routes' zod schemas.
import type { SwaggerOptions } from '@fastify/swagger'
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod'

export const OPENAPI_TAGS = [
  { name: 'operations', description: 'Liveness and readiness probes.' },
  { name: 'me', description: 'The caller.' },
  { name: 'servers', description: 'Database servers restores write into.' },
  { name: 'destinations', description: 'Where backup artifacts are stored.' },
  { name: 'plans', description: 'Backup plans and their restore summaries.' },
  { name: 'backups', description: 'Backup history, registered by the backup producer.' },
  { name: 'restores', description: 'Restore requests and their history.' },
  { name: 'point-in-time', description: 'Real-time plans: change-stream segments, the restorable window, point-in-time restores.' },
]

export const swaggerOptions: SwaggerOptions = {
  openapi: {
    openapi: '3.1.0',
    info: {
      title: 'Devpilot Restore API',
      version: '1.0.0',
      description:
        'Backup history and restores. Authenticate with `Authorization: Bearer <token>` (create one with `pnpm admin create-token`). Errors are RFC 9457 `application/problem+json` with a stable `code`. Lists are keyset-paginated, newest first.',
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    servers: [{ url: 'http://127.0.0.1:3000', description: 'Local run (`pnpm start`)' }],
    tags: OPENAPI_TAGS,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API token from `pnpm admin create-token`.' } },
    },
  },
  transform: jsonSchemaTransform,
  transformObject: jsonSchemaTransformObject,
}

/** Deterministic JSON: object keys sorted at every level, arrays kept in order. */
export function stableJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort)
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      )
    }
    return v
  }
  return `${JSON.stringify(sort(value), null, 2)}\n`
}

const SCHEMA_REF = '#/components/schemas/'

function collectRefs(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) for (const v of value) collectRefs(v, into)
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith(SCHEMA_REF)) into.add(v.slice(SCHEMA_REF.length))
      else collectRefs(v, into)
    }
  }
}

function renameRefs(value: unknown, renames: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => renameRefs(v, renames))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => {
        if (k === '$ref' && typeof v === 'string' && v.startsWith(SCHEMA_REF)) {
          const name = v.slice(SCHEMA_REF.length)
          return [k, `${SCHEMA_REF}${renames.get(name) ?? name}`]
        }
        return [k, renameRefs(v, renames)]
      }),
    )
  }
  return value
}

/**
 * The type provider registers every named schema twice (`X` for responses, `XInput` for requests).
 * Keep only the components an operation reaches, and call a request-only schema by its own name
 * (`ServerCreate`, not `ServerCreateInput`), so the document and the generated client stay lean.
 */
export function tidyDocument(document: object): object {
  const doc = document as { components?: { schemas?: Record<string, unknown> } } & Record<string, unknown>
  const schemas = doc.components?.schemas ?? {}
  const used = new Set<string>()
  collectRefs({ ...doc, components: { ...doc.components, schemas: {} } }, used)
  const queue = [...used]
  for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
    const found = new Set<string>()
    collectRefs(schemas[name], found)
    for (const f of found) {
      if (!used.has(f)) {
        used.add(f)
        queue.push(f)
      }
    }
  }
  const renames = new Map<string, string>()
  for (const name of used) {
    const base = name.endsWith('Input') ? name.slice(0, -'Input'.length) : null
    if (base && !used.has(base)) renames.set(name, base)
  }
  const kept = Object.fromEntries([...used].map((name) => [renames.get(name) ?? name, schemas[name]]))
  return renameRefs({ ...doc, components: { ...doc.components, schemas: kept } }, renames) as object
}
