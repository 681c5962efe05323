// Makes tool output safe to store and show: connection strings lose their credentials, key=value
// passwords are masked, and every secret the run knows (server password, S3 secret) is replaced.
// Only a bounded tail of the meaningful lines is kept for the error message.

const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi
const KEY_VALUE_SECRET = /\b(password|passwd|pwd|secret|sslpassword|aws_secret_access_key)\s*=\s*('[^']*'|"[^"]*"|\S+)/gi

export function scrubSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(URL_CREDENTIALS, '$1***@').replace(KEY_VALUE_SECRET, '$1=***')
  for (const secret of secrets) {
    if (secret.length >= 3) out = out.split(secret).join('***')
  }
  return out
}

/** The last `maxLines` non-empty lines of a tool's stderr, scrubbed and capped at `maxChars`. */
export function stderrTail(stderr: string, secrets: readonly string[], options: { maxLines?: number; maxChars?: number } = {}): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l.trim().length > 0)
  const tail = lines.slice(-(options.maxLines ?? 8)).join('\n')
  const scrubbed = scrubSecrets(tail, secrets)
  const max = options.maxChars ?? 2000
  return scrubbed.length > max ? `…${scrubbed.slice(-max)}` : scrubbed
}

/** Keeps the last `limit` bytes written to it: a bounded stderr buffer for long-running tools. */
export class TailBuffer {
  private chunks: Buffer[] = []
  private size = 0
  constructor(private readonly limit = 64 * 1024) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk)
    this.size += chunk.length
    while (this.size > this.limit && this.chunks.length > 1) {
      const first = this.chunks.shift()
      if (first) this.size -= first.length
    }
  }
  toString(): string {
    const all = Buffer.concat(this.chunks)
    return all.subarray(Math.max(0, all.length - this.limit)).toString('utf8')
  }
}
