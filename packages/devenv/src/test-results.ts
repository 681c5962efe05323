// Counts test cases from the TAP files tap saves per test file (.tap/test-results): a case is a
// top-level `ok`/`not ok` line of a file. A file that died before reporting any case counts as
// one failure, so a crash is never hidden by a green total.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

export interface TestCounts {
  passed: number
  failed: number
  skipped: number
  files: number
  failures: string[]
}

function listTapFiles(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? listTapFiles(path) : path.endsWith('.tap') ? [path] : []
  })
}

export function countTapResults(resultsDir: string): TestCounts {
  const counts: TestCounts = { passed: 0, failed: 0, skipped: 0, files: 0, failures: [] }
  for (const file of listTapFiles(resultsDir)) {
    counts.files++
    const text = readFileSync(file, 'utf8')
    let cases = 0
    for (const line of text.split('\n')) {
      const match = /^(not ok|ok) \d+( - (.*?))?( # (SKIP|TODO)\b.*)?$/i.exec(line)
      if (!match) continue
      cases++
      if (match[5]) counts.skipped++
      else if (match[1] === 'ok') counts.passed++
      else {
        counts.failed++
        counts.failures.push(`${file.slice(resultsDir.length + 1).replace(/\.tap$/, '')}: ${match[3] ?? '(unnamed)'}`)
      }
    }
    if (cases === 0 || /^Bail out!/m.test(text)) {
      counts.failed++
      counts.failures.push(`${file.slice(resultsDir.length + 1).replace(/\.tap$/, '')}: the file reported no result (crashed or bailed out)`)
    }
  }
  return counts
}
