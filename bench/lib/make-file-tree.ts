// A file tree like a real application folder, for the tar_gz benchmark: incompressible blobs
// (uploads, media), compressible logs, and thousands of small source files. Written with
// back-pressure, never held in memory whole.
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { MiB } from './stats.js'

async function writeChunks(file: string, chunks: number, chunk: () => Buffer | string): Promise<void> {
  const out = createWriteStream(file)
  for (let i = 0; i < chunks; i++) if (!out.write(chunk())) await once(out, 'drain')
  out.end()
  await once(out, 'finish')
}

function logChunk(seq: number): string {
  const lines: string[] = []
  for (let i = 0; i < 8000; i++) {
    const n = seq * 8000 + i
    const ts = new Date(Date.UTC(2026, 0, 1) + n * 37).toISOString()
    lines.push(
      `${ts} INFO http request id=${randomBytes(4).toString('hex')} method=GET path=/api/v1/items/${n % 9973} status=${n % 17 ? 200 : 404} ms=${n % 311}`,
    )
  }
  return `${lines.join('\n')}\n`
}

/** Writes the tree under dir; returns its total size in bytes. */
export async function makeFileTree(dir: string): Promise<number> {
  let total = 0
  const media = join(dir, 'media')
  mkdirSync(media, { recursive: true })
  for (let i = 0; i < 48; i++) await writeChunks(join(media, `upload-${i}.bin`), 2, () => randomBytes(MiB))
  for (let i = 0; i < 4; i++) await writeChunks(join(media, `video-${i}.bin`), 16, () => randomBytes(MiB))
  total += (48 * 2 + 4 * 16) * MiB
  const logs = join(dir, 'logs')
  mkdirSync(logs)
  let seq = 0
  for (let i = 0; i < 4; i++) {
    const file = join(logs, `app-${i}.log`)
    let bytes = 0
    await writeChunks(file, 40, () => {
      const chunk = logChunk(seq++)
      bytes += Buffer.byteLength(chunk)
      return chunk
    })
    total += bytes
  }
  for (let d = 0; d < 30; d++) {
    const src = join(dir, 'src', `module-${d}`)
    mkdirSync(src, { recursive: true })
    for (let f = 0; f < 100; f++) {
      const body = `// module ${d} file ${f}\n${`export const value${f} = ${JSON.stringify(randomBytes(24).toString('base64'))}\n`.repeat(40 + ((d * f) % 80))}`
      writeFileSync(join(src, `file-${f}.ts`), body)
      total += Buffer.byteLength(body)
    }
  }
  return total
}
