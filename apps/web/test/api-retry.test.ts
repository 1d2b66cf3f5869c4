import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { DpopKey } from '@stateless-auth/dpop-client'
import { decodeJwt } from '@stateless-auth/experiments'
import { afterEach, describe, expect, it } from 'vitest'
import { createApiClient } from '../src/apis.js'

/**
 * A stand-in for orders-api on 127.0.0.1: `fail` decides, per request to /orders (numbered from 1), whether to reset
 * the connection under it, answer 503 as a draining replica does, or answer normally. /metrics is not there (the
 * client then shows its counters as unavailable).
 */
async function stubApi(fail: (n: number) => 'reset' | '503' | undefined) {
  const requests: IncomingMessage[] = []
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url !== '/orders') return void res.writeHead(404).end()
    requests.push(req)
    const failure = fail(requests.length)
    if (failure === 'reset') return void req.socket.destroy()
    if (failure === '503') {
      return void res
        .writeHead(503, { 'content-type': 'application/json', connection: 'close' })
        .end('{"error":"unavailable"}')
    }
    res
      .writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' })
      .end('{"orders":[]}')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  servers.push(server)
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { requests, client: createApiClient({ orders: url, inventory: url }, 5000, keyFor) }
}

const servers: ReturnType<typeof createServer>[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

const key = DpopKey.generate()
const keyFor = (token: string) => (token === 'bound-token' ? key : undefined)
const firstOnly = (failure: 'reset' | '503') => (n: number) => (n === 1 ? failure : undefined)

describe('calls to the APIs when a replica restarts', () => {
  it('sends a GET again after the connection is reset under it', async () => {
    const { client, requests } = await stubApi(firstOnly('reset'))
    const call = await client.call('orders', 'GET', '/orders', 'a-token')
    expect(call.status).toBe(200)
    expect(call.networkError).toBeUndefined()
    expect(call.retried).toHaveLength(1)
    expect(call.retried?.[0]).toMatch(/^(ECONNRESET|UND_ERR_SOCKET|EPIPE)$/)
    expect(requests).toHaveLength(2)
  })

  it('sends a GET again after a 503, with a new DPoP proof', async () => {
    const { client, requests } = await stubApi(firstOnly('503'))
    const call = await client.call('orders', 'GET', '/orders', 'bound-token')
    expect(call).toMatchObject({ status: 200, retried: ['503'], request: { scheme: 'DPoP' } })
    const jtis = requests.map((req) => decodeJwt(String(req.headers.dpop))?.payload.jti)
    expect(jtis).toHaveLength(2)
    expect(typeof jtis[0]).toBe('string')
    expect(jtis[1]).not.toBe(jtis[0])
  })

  it('gives up after two retries and shows the last answer', async () => {
    const { client, requests } = await stubApi(() => '503')
    const call = await client.call('orders', 'GET', '/orders', 'a-token')
    expect(call).toMatchObject({ status: 503, retried: ['503', '503'], body: { error: 'unavailable' } })
    expect(requests).toHaveLength(3)
  })

  it.each([
    [
      'a reset is reported as a network error',
      'reset',
      { networkError: expect.stringMatching(/\((ECONNRESET|UND_ERR_SOCKET|EPIPE)\)$/) },
    ],
    ['a 503 is shown as it is', '503', { status: 503, body: { error: 'unavailable' } }],
  ] as const)('never sends a POST twice: %s', async (_, failure, shown) => {
    const { client, requests } = await stubApi(firstOnly(failure))
    const order = { sku: 'widget-blue', quantity: 1 }
    const call = await client.call('orders', 'POST', '/orders', 'bound-token', order)
    expect(call).toMatchObject(shown)
    expect(call.retried).toBeUndefined()
    expect(requests).toHaveLength(1)
  })
})
