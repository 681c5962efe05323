// `pnpm openapi`: writes openapi/openapi.json and the typed client's schema.gen.ts from the app.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { CLIENT_TYPES_FILE, generateClientTypes, generateOpenApiDocument, OPENAPI_FILE } from '../openapi-files.js'

const document = await generateOpenApiDocument()
mkdirSync(dirname(OPENAPI_FILE), { recursive: true })
writeFileSync(OPENAPI_FILE, document)
writeFileSync(CLIENT_TYPES_FILE, await generateClientTypes(document))
console.log(`wrote ${OPENAPI_FILE}\nwrote ${CLIENT_TYPES_FILE}`)
