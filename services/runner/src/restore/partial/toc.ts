// The table of contents of a pg_dump archive (custom or tar format), read from the head of the
// artifact stream. `pg_restore -l` prints the same entries, but as one line of unquoted names
// separated by spaces, which cannot be split back into schema, name and owner when a name holds a
// space; the archive itself stores every name as a length-prefixed string and every entry's
// dependencies, so this reads it directly (pg_backup_archiver.c ReadHead/ReadToc, archive
// versions 1.12 to 1.16, pg_dump 9.6 to 17). Only the TOC is read: the caller stops the stream.
import { restoreError } from '../../errors.js'

export interface TocEntry {
  /** The dump id `pg_restore -L` selects by. */
  id: number
  desc: string
  namespace: string
  tag: string
  /** Dump ids this entry depends on. */
  deps: number[]
  section: number
  hadDumper: boolean
}

export interface TableOfContents {
  version: string
  format: 'custom' | 'tar'
  entries: TocEntry[]
}

/** Pull-based reader over the artifact's chunks. */
export class ByteReader {
  private buffered: Buffer[] = []
  private length = 0
  /** Bytes consumed so far. */
  position = 0
  constructor(private readonly source: AsyncIterator<Buffer | string>) {}

  async read(n: number): Promise<Buffer> {
    while (this.length < n) {
      const next = await this.source.next()
      if (next.done) throw tocError('the archive ended inside its table of contents')
      const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value
      this.buffered.push(chunk)
      this.length += chunk.length
    }
    const all = this.buffered.length === 1 ? (this.buffered[0] as Buffer) : Buffer.concat(this.buffered)
    const out = all.subarray(0, n)
    const rest = all.subarray(n)
    this.buffered = rest.length > 0 ? [rest] : []
    this.length = rest.length
    this.position += n
    return out
  }
}

function tocError(reason: string) {
  return restoreError('restore_tool_failed', `The table of contents of the dump could not be read (${reason}); the target was not changed.`)
}

const MIN_VERSION = 0x010c00 // 1.12 (pg_dump 9.5/9.6)
const MAX_VERSION = 0x011000 // 1.16 (pg_dump 17)

/** Parses header + TOC through `read`; throws restore_tool_failed on anything unexpected. */
async function parseArchive(read: (n: number) => Promise<Buffer>, expectFormat: 'custom' | 'tar'): Promise<TableOfContents> {
  const magic = (await read(5)).toString('latin1')
  if (magic !== 'PGDMP') throw tocError('it does not start like a pg_dump archive')
  const [vmaj = 0, vmin = 0, vrev = 0] = await read(3)
  const version = (vmaj << 16) | (vmin << 8) | vrev
  const versionText = `${vmaj}.${vmin}.${vrev}`
  if (version < MIN_VERSION || version > MAX_VERSION) {
    throw tocError(`archive version ${versionText} is outside the versions partial restores read, 1.12 to 1.16`)
  }
  const [intSize = 0, offSize = 0, format = 0] = await read(3)
  if (intSize < 1 || intSize > 8 || offSize < 1 || offSize > 16) throw tocError('implausible integer sizes in the header')
  const formats: Record<number, 'custom' | 'tar'> = { 1: 'custom', 3: 'tar' }
  if (formats[format] !== expectFormat) throw tocError(`the archive says format ${format}, not ${expectFormat}`)

  const readInt = async (): Promise<number> => {
    const bytes = await read(1 + intSize)
    let value = 0
    for (let i = intSize; i >= 1; i--) value = value * 256 + (bytes[i] ?? 0)
    if (!Number.isSafeInteger(value)) throw tocError('an integer out of range')
    return bytes[0] ? -value : value
  }
  const readStr = async (): Promise<string | null> => {
    const len = await readInt()
    if (len < 0) return null
    if (len > 1 << 30) throw tocError('a string longer than 1 GiB')
    return len === 0 ? '' : (await read(len)).toString('utf8')
  }

  if (version >= 0x010f00)
    await read(1) // compression algorithm
  else await readInt() // compression level
  for (let i = 0; i < 7; i++) await readInt() // creation time
  await readStr() // database name
  await readStr() // server version
  await readStr() // pg_dump version

  const count = await readInt()
  if (count < 0 || count > 50_000_000) throw tocError('an implausible entry count')
  const entries: TocEntry[] = []
  for (let i = 0; i < count; i++) {
    const id = await readInt()
    if (id <= 0) throw tocError('an entry with an invalid dump id')
    const hadDumper = (await readInt()) !== 0
    await readStr() // table oid
    await readStr() // oid
    const tag = (await readStr()) ?? ''
    const desc = (await readStr()) ?? ''
    const section = await readInt()
    await readStr() // definition
    await readStr() // drop statement
    await readStr() // copy statement
    const namespace = (await readStr()) ?? ''
    await readStr() // tablespace
    if (version >= 0x010e00) await readStr() // table access method
    if (version >= 0x011000) await readInt() // relkind
    await readStr() // owner
    await readStr() // "with oids"
    const deps: number[] = []
    for (;;) {
      const dep = await readStr()
      if (dep === null) break
      const n = Number(dep)
      if (Number.isInteger(n) && n > 0) deps.push(n)
    }
    if (expectFormat === 'custom')
      await read(1 + offSize) // data state + offset
    else await readStr() // member file name
    entries.push({ id, desc, namespace, tag, deps, section, hadDumper })
  }
  return { version: versionText, format: expectFormat, entries }
}

function octal(field: Buffer): number {
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim()
  return text === '' ? 0 : Number.parseInt(text, 8)
}

/** Reads the TOC from the head of an archive stream (`pg_custom`, or `pg_tar` whose first member is toc.dat). */
export async function readTableOfContents(stream: AsyncIterable<Buffer | string>, format: 'pg_custom' | 'pg_tar'): Promise<TableOfContents> {
  const reader = new ByteReader(stream[Symbol.asyncIterator]())
  if (format === 'pg_custom') return parseArchive((n) => reader.read(n), 'custom')
  const header = await reader.read(512)
  const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '')
  if (name !== 'toc.dat') throw tocError(`a pg_tar archive's first member is toc.dat, this one starts with ${JSON.stringify(name.slice(0, 100))}`)
  const size = octal(header.subarray(124, 136))
  if (!Number.isSafeInteger(size) || size <= 0) throw tocError('toc.dat has no size')
  let consumed = 0
  return parseArchive(async (n) => {
    if (consumed + n > size) throw tocError('the table of contents runs past toc.dat')
    consumed += n
    return reader.read(n)
  }, 'tar')
}
