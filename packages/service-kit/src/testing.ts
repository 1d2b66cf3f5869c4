/**
 * Test helpers for any workspace that starts real servers (only on 127.0.0.1, never another interface).
 */
import { createServer } from 'node:net'

/**
 * A TCP port of 127.0.0.1 that was free a moment ago: for servers whose own URL must be known before they listen
 * (an issuer's `iss`, a redirect URI, a child process's `PORT`). Another process may take it in between, which on
 * a test machine is rare enough; `listen({ port: 0 })` is the better choice wherever the URL can come after.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}
