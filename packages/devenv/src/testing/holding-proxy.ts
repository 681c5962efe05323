// A TCP proxy on loopback in front of a real server (the test S3 server), for fault tests that need
// a download stopped at a known point: after `holdAfter(n)` it passes n more bytes from the server
// to the client and then holds the rest (back-pressure on the server's socket) until `release()`.
// Nothing is answered by the proxy itself; it only decides when the real bytes go on.
import { createServer, type Socket, connect as tcpConnect } from 'node:net'
import type { Teardown } from './teardown.js'

export interface HoldingProxy {
  /** `http://127.0.0.1:<port>`: use it as the endpoint instead of the server's. */
  url: string
  /** From now on, pass `bytes` more server-to-client bytes (over all connections), then hold. */
  holdAfter(bytes: number): void
  /** Passes everything held and holds nothing more. */
  release(): void
}

export async function holdingProxy(t: Teardown, upstream: string): Promise<HoldingProxy> {
  const target = new URL(upstream)
  let sent = 0
  let limit = Number.POSITIVE_INFINITY
  const flushers = new Set<() => void>()
  const sockets = new Set<Socket>()

  const server = createServer((client) => {
    const up = tcpConnect(Number(target.port), target.hostname)
    sockets.add(client).add(up)
    const pending: Buffer[] = []
    let upEnded = false
    const flush = () => {
      while (pending.length > 0) {
        const room = limit - sent
        const chunk = pending[0] as Buffer
        if (room <= 0) {
          up.pause()
          return
        }
        if (chunk.length <= room) {
          pending.shift()
          sent += chunk.length
          client.write(chunk)
        } else {
          pending[0] = chunk.subarray(room)
          sent += room
          client.write(chunk.subarray(0, room))
          up.pause()
          return
        }
      }
      if (upEnded) client.end()
      else up.resume()
    }
    flushers.add(flush)
    up.on('data', (chunk: Buffer) => {
      pending.push(chunk)
      flush()
    })
    up.on('end', () => {
      upEnded = true
      flush()
    })
    client.pipe(up)
    const close = () => {
      flushers.delete(flush)
      client.destroy()
      up.destroy()
      sockets.delete(client)
      sockets.delete(up)
    }
    client.on('error', close).on('close', close)
    up.on('error', close).on('close', () => {
      if (pending.length === 0) close()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('proxy has no port')
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  )
  return {
    url: `http://127.0.0.1:${address.port}`,
    holdAfter(bytes) {
      limit = sent + bytes
    },
    release() {
      limit = Number.POSITIVE_INFINITY
      for (const flush of [...flushers]) flush()
    },
  }
}
