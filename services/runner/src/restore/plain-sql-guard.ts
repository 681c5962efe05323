// Guards plain-SQL artifacts (pg_plain, pg_plain_gz) before they reach psql. psql executes
// backslash meta-commands (`\! shell`, `\o file`, `\copy … program`, `\connect`) on the runner's
// machine, so an artifact registered by one workspace could otherwise run commands next to every
// workspace's secrets. The guard lexes the script as it streams — string literals (standard and
// E''), quoted identifiers, dollar quotes, comments, and COPY … FROM stdin data — and refuses any
// backslash outside them with archive_unsafe. pg_dump's own `\restrict`/`\unrestrict` lines
// (17.6+) are dropped: refusing every meta-command is what they ask psql to do. A line-level check
// also refuses COPY … PROGRAM. Nothing has been run when it refuses: the staging database is
// dropped and the target is untouched.
import { restoreError } from '../errors.js'
import { LineFilter } from './line-filter.js'

type State =
  | { kind: 'normal' }
  | { kind: 'squote'; escapes: boolean }
  | { kind: 'dquote' }
  | { kind: 'dollar'; tag: string }
  | { kind: 'block'; depth: number }
  | { kind: 'copy' }

const COPY_FROM_STDIN = /^\s*COPY\s.+\sFROM\s+stdin\s*;\s*$/i
const COPY_PROGRAM = /^\s*COPY\b.*\bPROGRAM\b/i
const RESTRICT_LINE = /^\\(?:un)?restrict\s+\S+\s*$/
const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/

export class PlainSqlGuard extends LineFilter {
  private state: State = { kind: 'normal' }
  private lineNo = 0

  private refuse(what: string): never {
    throw restoreError(
      'archive_unsafe',
      `The plain SQL artifact contains ${what} at line ${this.lineNo}. Plain backups are run by psql, which would execute it on the runner, so the restore was refused before anything ran; the target was not changed.`,
    )
  }

  /** Advances the lexer over one line; false drops the line. */
  protected keep(line: string): boolean {
    this.lineNo++
    if (this.state.kind === 'copy') {
      if (line === '\\.') this.state = { kind: 'normal' }
      return true
    }
    const startsNormal = this.state.kind === 'normal'
    if (startsNormal && RESTRICT_LINE.test(line)) return false
    if (startsNormal && COPY_PROGRAM.test(line)) this.refuse('COPY … PROGRAM (a server-side shell command)')
    for (let i = 0; i < line.length; i++) {
      const c = line[i]
      const s = this.state
      if (s.kind === 'normal') {
        if (c === '-' && line[i + 1] === '-') break
        if (c === '/' && line[i + 1] === '*') {
          this.state = { kind: 'block', depth: 1 }
          i++
        } else if (c === "'") {
          const prev = line[i - 1] ?? ''
          const prefixed = (prev === 'E' || prev === 'e') && !IDENT_CHAR.test(line[i - 2] ?? '')
          this.state = { kind: 'squote', escapes: prefixed }
        } else if (c === '"') {
          this.state = { kind: 'dquote' }
        } else if (c === '$' && !IDENT_CHAR.test(line[i - 1] ?? '')) {
          const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(line.slice(i))
          if (tag) {
            this.state = { kind: 'dollar', tag: tag[0] }
            i += tag[0].length - 1
          }
        } else if (c === '\\') {
          this.refuse(`a psql meta-command (${line.slice(i, i + 12).trim()}…)`)
        }
      } else if (s.kind === 'squote') {
        if (s.escapes && c === '\\') i++
        else if (c === "'") {
          if (line[i + 1] === "'") i++
          else this.state = { kind: 'normal' }
        }
      } else if (s.kind === 'dquote') {
        if (c === '"') {
          if (line[i + 1] === '"') i++
          else this.state = { kind: 'normal' }
        }
      } else if (s.kind === 'dollar') {
        if (line.startsWith(s.tag, i)) {
          i += s.tag.length - 1
          this.state = { kind: 'normal' }
        }
      } else if (s.kind === 'block') {
        if (c === '/' && line[i + 1] === '*') {
          s.depth++
          i++
        } else if (c === '*' && line[i + 1] === '/') {
          s.depth--
          i++
          if (s.depth === 0) this.state = { kind: 'normal' }
        }
      }
    }
    if (this.state.kind === 'normal' && COPY_FROM_STDIN.test(line)) this.state = { kind: 'copy' }
    return true
  }
}
