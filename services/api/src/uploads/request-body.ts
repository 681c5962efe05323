// The request body of an upload as a stream the storage writers may fail on without destroying
// the request: piped (not pipelined) from the socket, so a full disk or a 413 still leaves the
// connection able to carry the error response (sent with `connection: close`). A client that goes
// away before the body is complete errors the stream with ClientGoneError, which the writers treat
// like any failure: nothing is kept.
import type { IncomingMessage } from 'node:http'
import { PassThrough, type Readable } from 'node:stream'

export class ClientGoneError extends Error {
  constructor() {
    super('the client disconnected before the request body was complete')
    this.name = 'ClientGoneError'
  }
}

export interface RequestBody {
  stream: Readable
  /** True once the client disconnected before sending the whole body. */
  clientGone(): boolean
  /** Stops feeding the stream (after a failure): the rest of the body is discarded by Node. */
  detach(): void
}

export function requestBody(raw: IncomingMessage): RequestBody {
  const stream = new PassThrough({ highWaterMark: 256 * 1024 })
  let gone = false
  const onGone = () => {
    if (raw.complete) return
    gone = true
    stream.destroy(new ClientGoneError())
  }
  raw.on('close', onGone)
  raw.on('error', onGone)
  raw.pipe(stream)
  return {
    stream,
    clientGone: () => gone,
    detach: () => {
      raw.unpipe(stream)
      raw.off('close', onGone)
      // Keep an error listener: an abort after the failure must not become an unhandled 'error'.
    },
  }
}
