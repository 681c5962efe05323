// The committed OpenAPI document and generated client types are current, the document lints
// clean, and the running API serves it and a browsable reference page.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'
import t from 'tap'
import { CLIENT_TYPES_FILE, generateClientTypes, generateOpenApiDocument, OPENAPI_FILE } from '../src/openapi-files.js'
import { startApi } from './support/api-harness.js'

const generated = await generateOpenApiDocument()

t.test('openapi/openapi.json is current (run `pnpm openapi` after changing a route or schema)', async (t) => {
  t.equal(readFileSync(OPENAPI_FILE, 'utf8'), generated)
})

t.test('the generated client types are current', async (t) => {
  t.equal(readFileSync(CLIENT_TYPES_FILE, 'utf8'), await generateClientTypes(generated))
})

t.test('every operation has an operationId, a tag, a summary and problem responses', async (t) => {
  const doc = JSON.parse(generated) as {
    paths: Record<string, Record<string, { operationId?: string; tags?: string[]; summary?: string; responses: Record<string, unknown> }>>
  }
  const ids = new Set<string>()
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      t.ok(op.operationId, `${method} ${path} has an operationId`)
      t.ok(op.tags && op.tags.length > 0, `${method} ${path} has a tag`)
      t.ok(op.summary, `${method} ${path} has a summary`)
      t.ok(op.responses['500'], `${method} ${path} documents its 500 problem`)
      if (path.startsWith('/v1/')) t.ok(op.responses['401'], `${method} ${path} documents 401`)
      if (op.operationId) ids.add(op.operationId)
    }
  }
  t.equal(
    ids.size,
    Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0),
    'operationIds are unique',
  )
})

t.test('the document lints clean with redocly (recommended-strict)', async (t) => {
  const root = fileURLToPath(new URL('../../..', import.meta.url))
  const result = await execa('pnpm', ['lint:openapi'], { cwd: root, reject: false, all: true })
  t.equal(result.exitCode, 0, result.all)
})

t.test('the API serves the same document at /openapi.json and a reference page at /docs', async (t) => {
  const h = await startApi(t)
  const served = await fetch(`${h.baseUrl}/openapi.json`)
  t.equal(served.status, 200)
  t.same(await served.json(), JSON.parse(generated))
  const docs = await fetch(`${h.baseUrl}/docs`)
  t.equal(docs.status, 200)
  t.match(docs.headers.get('content-type'), /text\/html/)
  t.match(await docs.text(), /openapi\.json|scalar/i)
})
