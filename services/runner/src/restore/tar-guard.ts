// Reads the tar headers of an archive as it streams to `tar -x` and refuses, before tar sees the
// member, anything that could write outside the target: absolute names, `..` components, symlinks
// whose target leaves the tree, members written through a symlink, hard links to anything but an
// earlier regular member, and device/fifo nodes. Understands ustar, GNU long names (L/K) and pax
// headers (path/linkpath/size). Bytes pass through unchanged; only a fully checked chunk is passed on.
import { posix } from 'node:path'
import { Transform, type TransformCallback } from 'node:stream'
import { restoreError } from '../errors.js'

const BLOCK = 512
const MAX_META_BYTES = 1024 * 1024

interface Meta {
  type: 'L' | 'K' | 'x'
  size: number
  chunks: Buffer[]
}

function cString(buf: Buffer): string {
  const end = buf.indexOf(0)
  return buf.subarray(0, end === -1 ? buf.length : end).toString('utf8')
}

function parseNumber(field: Buffer): number {
  const first = field[0] ?? 0
  if (first & 0x80) {
    // GNU base-256 for values that do not fit in octal.
    let value = first & 0x7f
    for (let i = 1; i < field.length; i++) value = value * 256 + (field[i] ?? 0)
    return value
  }
  const text = cString(field).trim()
  return text === '' ? 0 : Number.parseInt(text, 8)
}

function checksumOk(header: Buffer): boolean {
  const stored = parseNumber(header.subarray(148, 156))
  let sum = 0
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (header[i] ?? 0)
  return sum === stored
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {}
  let offset = 0
  while (offset < data.length) {
    const space = data.indexOf(32, offset)
    if (space === -1) break
    const length = Number.parseInt(data.subarray(offset, space).toString('utf8'), 10)
    if (!Number.isFinite(length) || length <= 0) break
    const record = data.subarray(space + 1, offset + length - 1).toString('utf8')
    const eq = record.indexOf('=')
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1)
    offset += length
  }
  return out
}

/** A member as the guard saw it (after its checks passed), for listing an archive without extracting it. */
export interface TarMember {
  /** Relative to the archive root; '' is the root itself. */
  path: string
  /** file (regular or hard link), dir, symlink, or other (a volume label). */
  kind: 'file' | 'dir' | 'symlink' | 'other'
  size: number
}

export class TarGuard extends Transform {
  /** Mode of the archive's own root entry (`./`), if it has one. */
  rootMode: number | null = null
  members = 0

  private readonly onMember: ((member: TarMember) => void) | undefined

  /** `onMember`: called with each member as it passes (the preflight's listing, a drill's arrival check). */
  constructor(options: { onMember?: (member: TarMember) => void } = {}) {
    super()
    this.onMember = options.onMember
  }
  private pending: Buffer = Buffer.alloc(0)
  private dataLeft = 0
  private meta: Meta | null = null
  private longName: string | null = null
  private longLink: string | null = null
  private pax: Record<string, string> = {}
  private ended = false
  private readonly files = new Set<string>()
  private readonly symlinks = new Set<string>()

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.scan(chunk)
      callback(null, chunk)
    } catch (error) {
      callback(error instanceof Error ? error : new Error(String(error)))
    }
  }

  override _flush(callback: TransformCallback): void {
    if (!this.ended && (this.dataLeft > 0 || this.pending.length > 0)) {
      callback(restoreError('restore_tool_failed', 'The archive ends in the middle of a member; the artifact is truncated or corrupt.'))
      return
    }
    callback()
  }

  private scan(chunk: Buffer): void {
    const buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk
    let offset = 0
    while (offset < buf.length && !this.ended) {
      if (this.dataLeft > 0) {
        const n = Math.min(this.dataLeft, buf.length - offset)
        if (this.meta) this.meta.chunks.push(Buffer.from(buf.subarray(offset, offset + n)))
        this.dataLeft -= n
        offset += n
        if (this.dataLeft === 0 && this.meta) this.finishMeta(this.meta)
        continue
      }
      if (buf.length - offset < BLOCK) break
      this.header(buf.subarray(offset, offset + BLOCK))
      offset += BLOCK
    }
    this.pending = this.ended ? Buffer.alloc(0) : Buffer.from(buf.subarray(offset))
  }

  private header(header: Buffer): void {
    if (header.every((b) => b === 0)) {
      this.ended = true
      return
    }
    if (!checksumOk(header)) throw restoreError('restore_tool_failed', 'The artifact is not a valid tar archive (bad header checksum); it is corrupt.')
    const type = String.fromCharCode(header[156] ?? 0)
    const headerSize = parseNumber(header.subarray(124, 136))
    if (type === 'L' || type === 'K' || type === 'x') {
      if (headerSize > MAX_META_BYTES) throw unsafe(`a ${type} header of ${headerSize} bytes`)
      this.meta = { type, size: headerSize, chunks: [] }
      this.dataLeft = Math.ceil(headerSize / BLOCK) * BLOCK
      if (this.dataLeft === 0) this.finishMeta(this.meta)
      return
    }
    if (type === 'g') {
      // Global pax header: nothing in it can rename a member for GNU tar; skip its data.
      this.dataLeft = Math.ceil(headerSize / BLOCK) * BLOCK
      return
    }
    const magic = header.subarray(257, 263).toString('latin1')
    const prefix = magic === 'ustar\u0000' ? cString(header.subarray(345, 500)) : ''
    const rawName = this.pax.path ?? this.longName ?? (prefix ? `${prefix}/${cString(header.subarray(0, 100))}` : cString(header.subarray(0, 100)))
    const linkName = this.pax.linkpath ?? this.longLink ?? cString(header.subarray(157, 257))
    const size = this.pax.size !== undefined ? Number(this.pax.size) : headerSize
    const mode = parseNumber(header.subarray(100, 108))
    this.pax = {}
    this.longName = null
    this.longLink = null
    this.check(type, rawName, linkName, mode)
    this.members++
    this.onMember?.({ path: memberPath(rawName), kind: memberKind(type), size: type === '1' ? 0 : size })
    this.dataLeft = type === '0' || type === '\u0000' || type === '7' || type === 'D' ? Math.ceil(size / BLOCK) * BLOCK : 0
  }

  private finishMeta(meta: Meta): void {
    const data = Buffer.concat(meta.chunks).subarray(0, meta.size)
    if (meta.type === 'L') this.longName = cString(data)
    else if (meta.type === 'K') this.longLink = cString(data)
    else this.pax = { ...this.pax, ...parsePax(data) }
    this.meta = null
  }

  private check(type: string, rawName: string, linkName: string, mode: number): void {
    const rel = memberPath(rawName)
    const parts = rel === '' ? [] : rel.split('/')
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/')
      if (this.symlinks.has(parent)) throw unsafe(`member ${rawName} is written through the symlink ${parent}`)
    }
    switch (type) {
      case '0':
      case '\u0000':
      case '7':
        this.files.add(rel)
        this.symlinks.delete(rel)
        return
      case '5':
      case 'D':
        if (rel === '') this.rootMode = mode & 0o7777
        this.symlinks.delete(rel)
        return
      case '2': {
        if (rel === '') throw unsafe(`the archive root is a symlink`)
        if (linkName.startsWith('/')) throw unsafe(`symlink ${rawName} points to the absolute path ${linkName}`)
        const resolved = posix.normalize(posix.join(posix.dirname(rel), linkName))
        if (resolved === '..' || resolved.startsWith('../')) throw unsafe(`symlink ${rawName} points outside the target (${linkName})`)
        this.symlinks.add(rel)
        this.files.delete(rel)
        return
      }
      case '1': {
        if (linkName.startsWith('/')) throw unsafe(`hard link ${rawName} points to the absolute path ${linkName}`)
        const target = memberPath(linkName)
        if (!this.files.has(target)) throw unsafe(`hard link ${rawName} points to ${linkName}, which is not a file earlier in the archive`)
        this.files.add(rel)
        return
      }
      case '3':
      case '4':
        throw unsafe(`member ${rawName} is a device node`)
      case '6':
        throw unsafe(`member ${rawName} is a FIFO`)
      case 'V':
        return
      default:
        throw unsafe(`member ${rawName} has the unsupported type '${type}'`)
    }
  }
}

function unsafe(what: string) {
  return restoreError('archive_unsafe', `The archive was refused because ${what}; nothing was written to the target.`)
}

/** The member's path relative to the archive root; refuses absolute names and `..` components. */
function memberPath(name: string): string {
  if (name.startsWith('/')) throw unsafe(`member ${name} has an absolute name`)
  const parts = name.split('/').filter((p) => p !== '' && p !== '.')
  if (parts.includes('..')) throw unsafe(`member ${name} contains '..'`)
  return parts.join('/')
}

function memberKind(type: string): TarMember['kind'] {
  if (type === '5' || type === 'D') return 'dir'
  if (type === '2') return 'symlink'
  if (type === 'V') return 'other'
  return 'file'
}
