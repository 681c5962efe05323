// Drops ownership and privilege statements from a pg_dump plain-format script, for restores to a
// server other than the plan's own (its roles may not exist): the plain-format equivalent of
// pg_restore --no-owner --no-privileges. It follows pg_dump's layout: entries start with a
// `-- Name: …; Type: …;` header, ACL entries are dropped whole, `ALTER … OWNER TO …;` lines are
// dropped outside COPY data, and COPY data passes untouched. Works line by line on a stream.
import { LineFilter } from './line-filter.js'

const ENTRY_HEADER = /^-- (?:Data for )?Name: .*; Type: ([A-Z ]+); Schema: .*; Owner: .*$/
const OWNER_STATEMENT = /^ALTER [A-Z ]+ .+ OWNER TO .+;$/
const SESSION_AUTH = /^(SET SESSION AUTHORIZATION|RESET SESSION AUTHORIZATION)\b/
const COPY_START = /^COPY .+ FROM stdin;$/

export class PlainSqlOwnershipFilter extends LineFilter {
  private inCopy = false
  private entryType = ''

  protected keep(line: string): boolean {
    if (this.inCopy) {
      if (line === '\\.') this.inCopy = false
      return true
    }
    const header = ENTRY_HEADER.exec(line)
    if (header) {
      this.entryType = header[1] ?? ''
      return true
    }
    if (COPY_START.test(line)) {
      this.inCopy = true
      return true
    }
    if (line.startsWith('--')) return true
    if (this.entryType === 'ACL' || this.entryType === 'DEFAULT ACL') return false
    if (OWNER_STATEMENT.test(line) || SESSION_AUTH.test(line)) return false
    return true
  }
}
