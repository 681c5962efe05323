// A text stream filtered line by line (the plain-SQL guard and ownership filter): UTF-8 decoded
// across chunk boundaries, each complete line passed to `keep`, the last partial line at the end.
// An error thrown by `keep` fails the stream.
import { Transform, type TransformCallback } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'

export abstract class LineFilter extends Transform {
  private readonly decoder = new StringDecoder('utf8')
  private partial = ''

  /** Sees every line in order, without its newline; false drops it. */
  protected abstract keep(line: string): boolean

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const text = this.partial + this.decoder.write(chunk)
    const lastNewline = text.lastIndexOf('\n')
    if (lastNewline === -1) {
      this.partial = text
      callback()
      return
    }
    this.partial = text.slice(lastNewline + 1)
    try {
      const out: string[] = []
      for (const line of text.slice(0, lastNewline).split('\n')) if (this.keep(line)) out.push(line)
      callback(null, out.length > 0 ? `${out.join('\n')}\n` : undefined)
    } catch (error) {
      callback(error as Error)
    }
  }

  override _flush(callback: TransformCallback): void {
    this.partial += this.decoder.end()
    try {
      callback(null, this.partial !== '' && this.keep(this.partial) ? this.partial : undefined)
    } catch (error) {
      callback(error as Error)
    }
  }
}
