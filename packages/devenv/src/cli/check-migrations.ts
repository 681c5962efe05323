// `pnpm db:check`: fails when packages/db/src/schema.ts and migrations/ disagree, i.e. when
// `pnpm db:generate` would write a new migration. It runs drizzle-kit generate with the project's
// own config, but into a scratch copy of migrations/, and compares the two folders: the real
// migrations/ is never written. CI runs it (.ci/run).
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { execa } from 'execa'
import { PROJECT_ROOT } from '../paths.js'

const MIGRATIONS = join(PROJECT_ROOT, 'migrations')
const CONFIG = join(PROJECT_ROOT, 'packages', 'db', 'drizzle.config.ts')

function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name), base) : [relative(base, join(dir, e.name))]))
}

const scratch = mkdtempSync(join(tmpdir(), 'devpilot-migrations-'))
let exitCode = 1
try {
  const out = join(scratch, 'migrations')
  cpSync(MIGRATIONS, out, { recursive: true })
  const config = join(scratch, 'drizzle.config.ts')
  // drizzle-kit takes `out` relative to the working directory (it prefixes './'), so no absolute path.
  writeFileSync(config, `import base from ${JSON.stringify(CONFIG)}\nexport default { ...base, out: ${JSON.stringify(relative(PROJECT_ROOT, out))} }\n`)
  // No stdin: a schema change drizzle-kit would ask about (a rename?) ends it instead of hanging.
  const generate = await execa('pnpm', ['exec', 'drizzle-kit', 'generate', '--config', config], {
    cwd: PROJECT_ROOT,
    stdin: 'ignore',
    reject: false,
    all: true,
    timeout: 120_000,
  })
  const before = new Set(listFiles(MIGRATIONS))
  const after = listFiles(out)
  const changed = after.filter((f) => !before.has(f) || readFileSync(join(out, f), 'utf8') !== readFileSync(join(MIGRATIONS, f), 'utf8'))
  // drizzle-kit exits 0 even when it fails (a missing snapshot, a config error): only its own
  // "nothing to migrate" counts as a pass.
  if (generate.exitCode !== 0 || (changed.length === 0 && !generate.all.includes('No schema changes'))) {
    console.error(generate.all)
    throw new Error(`drizzle-kit generate did not run through (exit ${generate.exitCode})`)
  }
  if (changed.length > 0) {
    console.error(
      `migrations/ is behind packages/db/src/schema.ts: drizzle-kit generate would write or change\n${changed.map((f) => `  - migrations/${f}`).join('\n')}`,
    )
    for (const f of changed.filter((f) => f.endsWith('.sql'))) console.error(`\n--- ${f}\n${readFileSync(join(out, f), 'utf8')}`)
    console.error('\nRun `pnpm db:generate` and commit the migration.')
  } else {
    console.log(`migrations/ matches packages/db/src/schema.ts (${before.size} files, drizzle-kit generate has nothing to add)`)
    exitCode = 0
  }
} catch (error) {
  console.error('[db:check]', error instanceof Error ? error.message : error)
} finally {
  rmSync(scratch, { recursive: true, force: true })
}
process.exit(exitCode)
