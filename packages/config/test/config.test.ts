import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { apiConfigSchema, ConfigError, parseEnv, renderConfigurationMarkdown, renderEnvExample, runnerConfigSchema } from '../src/index.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const KEY = 'a'.repeat(64)

t.test('a bad environment fails with every problem named at once', async (t) => {
  const error = t.throws(() => parseEnv('api', apiConfigSchema, { SECRETS_KEY: 'short', PORT: 'eighty', RESTORE_PATH_ROOTS: 'relative/dir' }))
  t.ok(error instanceof ConfigError)
  const problems = (error as ConfigError).problems.join('\n')
  t.match(problems, /DATABASE_URL is required but not set/)
  t.match(problems, /SECRETS_KEY: must be 32 bytes/)
  t.match(problems, /PORT:/)
  t.match(problems, /RESTORE_PATH_ROOTS: relative\/dir is not an absolute path/)
})

t.test('defaults apply and empty values count as unset', async (t) => {
  const config = parseEnv('runner', runnerConfigSchema, {
    DATABASE_URL: 'postgres://u@h/db',
    SECRETS_KEY: KEY,
    RUNNER_CONCURRENCY: '',
    RESTORE_PATH_ROOTS: '/srv/a:/srv/b/',
  })
  t.equal(config.RUNNER_CONCURRENCY, 2)
  t.same(config.RESTORE_PATH_ROOTS, ['/srv/a', '/srv/b'])
  t.same(config.LOCAL_DESTINATION_ROOTS, [])
})

t.test('docs/configuration.md and .env.example are current (run `pnpm config:docs`)', async (t) => {
  t.equal(readFileSync(`${root}docs/configuration.md`, 'utf8'), renderConfigurationMarkdown())
  t.equal(readFileSync(`${root}.env.example`, 'utf8'), renderEnvExample())
})
