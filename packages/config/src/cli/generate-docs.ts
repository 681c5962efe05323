// `pnpm config:docs`: writes docs/configuration.md and .env.example from the config schemas.
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { renderConfigurationMarkdown, renderEnvExample } from '../reference.js'

const root = fileURLToPath(new URL('../../../../', import.meta.url))
writeFileSync(`${root}docs/configuration.md`, renderConfigurationMarkdown())
writeFileSync(`${root}.env.example`, renderEnvExample())
console.log('wrote docs/configuration.md and .env.example')
