// Typed client for the Devpilot Restore API, generated from openapi/openapi.json (schema.gen.ts,
// by `pnpm openapi`) and driven by openapi-fetch. Used by the API's own integration tests, so the
// committed document is proven by real calls.
import createClient, { type Client } from 'openapi-fetch'
import type { components, operations, paths } from './schema.gen.js'

export type { components, operations, paths }
export type ApiClient = Client<paths>
export type Schemas = components['schemas']

export interface ApiClientOptions {
  baseUrl: string
  token?: string
  headers?: Record<string, string>
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  return createClient<paths>({
    baseUrl: options.baseUrl,
    headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...options.headers },
  })
}
