// Asks the kernel for a free TCP port on loopback. There is a small window between closing the
// probe socket and the real server binding it; callers that can retry on EADDRINUSE do.
import { createServer } from 'node:net'

export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, host, () => server.close(() => resolve(true)))
  })
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, host, () => {
      const address = server.address()
      if (address === null || typeof address === 'string') {
        server.close()
        reject(new Error('could not read the probe socket address'))
        return
      }
      server.close(() => resolve(address.port))
    })
  })
}
