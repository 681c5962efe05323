// A client of GET /v1/restores/{id}/events, as a browser's EventSource would read it: the stream
// is split into events at blank lines, each event's `data:` lines are joined, and every data
// payload is validated as a Restore (the contract the stream promises).
import { type Restore, restoreSchema } from '@devpilot/contracts'

export interface RestoreEventStream {
  /** The next event, or null once the server has ended the stream. */
  next(): Promise<Restore | null>
  close(): void
}

export async function openRestoreEvents(baseUrl: string, token: string, restoreId: string): Promise<RestoreEventStream> {
  const controller = new AbortController()
  const res = await fetch(`${baseUrl}/v1/restores/${restoreId}/events`, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    signal: controller.signal,
  })
  const contentType = res.headers.get('content-type') ?? ''
  if (res.status !== 200 || !res.body || !contentType.startsWith('text/event-stream')) {
    throw new Error(`the event stream answered ${res.status} ${contentType}: ${await res.text()}`)
  }
  const reader = res.body.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  return {
    async next() {
      for (;;) {
        const end = buffer.search(/\r?\n\r?\n/)
        if (end >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '')
          const data = block
            .split(/\r?\n/)
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice('data:'.length).replace(/^ /, ''))
            .join('\n')
          // Comment-only blocks (`: keepalive`) carry no data and are not events.
          if (data !== '') return restoreSchema.parse(JSON.parse(data))
          continue
        }
        const chunk = await reader.read()
        if (chunk.done) return null
        buffer += decoder.decode(chunk.value, { stream: true })
      }
    },
    close: () => controller.abort(),
  }
}
