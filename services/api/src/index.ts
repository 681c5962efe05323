// What other packages and tests import from the API service.
export { type BuildAppOptions, buildApp } from './app.js'
export { stableJson, tidyDocument } from './openapi.js'
export { CLIENT_TYPES_FILE, generateClientTypes, generateOpenApiDocument, OPENAPI_FILE } from './openapi-files.js'
