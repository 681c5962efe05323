// Runs a project command with the environment of a running `pnpm start` (.data/local.env) when
// DATABASE_URL is not already set, so `pnpm admin …` and `pnpm demo` work against the local run
// with no configuration. Usage: tsx with-local-env.ts <script.ts> [args…]
import { execa } from 'execa'
import { readLocalEnv } from '../local-env.js'
import { PROJECT_ROOT } from '../paths.js'

const [script, ...args] = process.argv.slice(2)
if (!script) {
  console.error('usage: with-local-env <script.ts> [args…]')
  process.exit(2)
}
const local = process.env.DATABASE_URL ? null : readLocalEnv()
if (!process.env.DATABASE_URL && !local) {
  console.error('No DATABASE_URL and no running `pnpm start` found (.data/local.env). Start the system with `pnpm start` first, or set DATABASE_URL.')
  process.exit(2)
}
const result = await execa('pnpm', ['exec', 'tsx', script, ...args], {
  cwd: PROJECT_ROOT,
  stdio: 'inherit',
  reject: false,
  env: { ...(local ?? {}), ...process.env, ...(local ? { DATABASE_URL: local.DATABASE_URL } : {}) },
})
process.exit(result.exitCode ?? 1)
