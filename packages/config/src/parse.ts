// Parses an environment with a zod schema and fails with every problem at once, each naming its
// variable, so a misconfigured deployment is fixed in one round instead of one variable at a time.
import type { z } from 'zod'

export class ConfigError extends Error {
  readonly problems: string[]
  constructor(service: string, problems: string[]) {
    super(`${service}: invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
    this.problems = problems
  }
}

export function parseEnv<S extends z.ZodType>(service: string, schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  // Empty strings mean "not set": a `FOO=` line in an env file must not defeat a default.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''))
  const result = schema.safeParse(cleaned)
  if (result.success) return result.data
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || '(environment)'
    const missing = issue.path.length === 1 && cleaned[String(issue.path[0])] === undefined
    return missing ? `${name} is required but not set` : `${name}: ${issue.message}`
  })
  throw new ConfigError(service, problems)
}
