import { createConnection, createServer, type Socket } from 'node:net'
import { backends, postgresSkipReason, type TestStore } from '@stateless-auth/sql/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { basic, post, start } from './helpers.js'

/**
 * A TCP relay to PostgreSQL that can be cut: what the auth-server sees when PostgreSQL stops (connections reset,
 * new ones refused) without stopping the cluster other suites share.
 */
async function relay(target: URL) {
  const sockets = new Set<Socket>()
  const server = createServer((inbound) => {
    const outbound = createConnection(Number(target.port || 5432), target.hostname)
    for (const socket of [inbound, outbound]) {
      sockets.add(socket)
      socket.on('error', () => {})
      socket.on('close', () => sockets.delete(socket))
    }
    inbound.pipe(outbound).pipe(inbound)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as { port: number }).port,
    cut: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

// Issue 15, scenario 2: with PostgreSQL stopped the auth-server answered 500 (found by `pnpm resilience`).
const postgres = backends().find((b) => b.name === 'postgres')
describe.skipIf(!postgres)(
  `PostgreSQL going away under the auth-server ${postgresSkipReason() ?? ''}`,
  () => {
    let store: TestStore | undefined
    afterEach(async () => {
      await store?.drop()
    })

    it('answers 503 temporarily_unavailable with Retry-After, never 500, and /ready is false', async () => {
      store = await postgres!.createStore()
      const link = await relay(new URL(store.url))
      const url = new URL(store.url)
      url.host = `127.0.0.1:${link.port}`
      const server = await start({ DATABASE_URL: url.toString() })
      const grant = () =>
        post(
          `${server.url}/token`,
          { grant_type: 'client_credentials' },
          basic('orders-api', 'orders-api-secret'),
        )
      expect((await grant()).status).toBe(200)
      await link.cut()
      for (let i = 0; i < 3; i++) {
        const res = await grant()
        expect(res.status).toBe(503)
        expect(res.headers.get('retry-after')).toBe('2')
        expect(await res.json()).toMatchObject({ error: 'temporarily_unavailable' })
      }
      expect((await fetch(`${server.url}/ready`)).status).toBe(503)
    })
  },
)
