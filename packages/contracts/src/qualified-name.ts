// `schema.table` names of a partial restore (`include.tables`), read with PostgreSQL's identifier
// rules: a part is either bare (no dot, no double quote, no surrounding whitespace) or double-quoted,
// where `""` stands for one quote. Unlike PostgreSQL, bare parts are NOT folded to lower case: a
// name is matched exactly as written, so `Orders` means the table "Orders". The API and the runner
// both parse with this one function, so what was validated is what gets selected.

export interface QualifiedName {
  schema: string
  name: string
}

const encoder = new TextEncoder()
const utf8Bytes = (s: string) => encoder.encode(s).length

/** The identifier starting at `from`: its text and where it ends, or an error message. */
function readPart(text: string, from: number): { value: string; end: number } | { error: string } {
  if (text[from] === '"') {
    let value = ''
    let i = from + 1
    for (;;) {
      const quote = text.indexOf('"', i)
      if (quote < 0) return { error: 'an unterminated double quote' }
      value += text.slice(i, quote)
      if (text[quote + 1] === '"') {
        value += '"'
        i = quote + 2
        continue
      }
      if (value.length === 0) return { error: 'an empty quoted name ("")' }
      return { value, end: quote + 1 }
    }
  }
  const dot = text.indexOf('.', from)
  const end = dot < 0 ? text.length : dot
  const value = text.slice(from, end)
  if (value.length === 0) return { error: 'an empty name part' }
  if (value.includes('"')) return { error: 'a double quote inside an unquoted part (quote the whole part and double the quote)' }
  if (value.trim() !== value) return { error: 'leading or trailing spaces in an unquoted part (quote it)' }
  return { value, end }
}

/** Parses `schema.table`; a part containing a dot or a quote must be double-quoted. */
export function parseQualifiedName(text: string): QualifiedName | { error: string } {
  const schema = readPart(text, 0)
  if ('error' in schema) return schema
  if (text[schema.end] !== '.') return { error: 'expected schema.table (a dot after the schema; quote a part that contains a dot)' }
  const name = readPart(text, schema.end + 1)
  if ('error' in name) return name
  if (name.end !== text.length) return { error: 'unexpected text after the table name (quote a part that contains a dot)' }
  if (utf8Bytes(schema.value) > 63 || utf8Bytes(name.value) > 63) return { error: 'a name part longer than 63 bytes' }
  return { schema: schema.value, name: name.value }
}

function quotePart(part: string): string {
  return /^[^".\s][^".]*$/.test(part) && part.trim() === part ? part : `"${part.replace(/"/g, '""')}"`
}

/** The canonical text of a name, quoting only where parsing needs it (round-trips through parseQualifiedName). */
export function formatQualifiedName(name: QualifiedName): string {
  return `${quotePart(name.schema)}.${quotePart(name.name)}`
}
