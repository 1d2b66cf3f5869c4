import { createServer, type Server } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { BenchError } from '../src/errors.js'
import { bearerRequests, runLoad } from '../src/load.js'

let server: Server | undefined
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())))

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler)
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`
}

describe('load generation', () => {
  it('cycles through the tokens and measures throughput and latency of 2xx answers', async () => {
    const seen = new Set<string>()
    const url = await listen((request, response) => {
      seen.add(request.headers.authorization ?? '')
      response.end('{}')
    })
    const result = await runLoad({
      url,
      connections: 4,
      duration: 1,
      amount: 400,
      requests: bearerRequests('/resource', ['a', 'b', 'c']),
    })
    expect(result.ok).toBe(400)
    expect(seen).toEqual(new Set(['Bearer a', 'Bearer b', 'Bearer c']))
    expect(result.rps).toBeGreaterThan(0)
    expect(result.p50).toBeGreaterThan(0)
    expect(result.p99).toBeGreaterThanOrEqual(result.p50)
  })

  it('refuses to report a run in which any request failed', async () => {
    let n = 0
    const url = await listen((_request, response) => {
      response.statusCode = ++n % 50 === 0 ? 401 : 200
      response.end('{}')
    })
    const run = runLoad({
      url,
      connections: 2,
      duration: 1,
      amount: 200,
      requests: bearerRequests('/', ['t']),
    })
    await expect(run).rejects.toThrow(BenchError)
    await expect(
      runLoad({ url, connections: 2, duration: 1, amount: 200, requests: bearerRequests('/', ['t']) }),
    ).rejects.toThrow(/HTTP 401/)
  })
})
