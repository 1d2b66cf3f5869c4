import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { freePort } from '../src/testing.js'

describe('freePort', () => {
  it('returns a port of 127.0.0.1 that a server can then listen on', async () => {
    const port = await freePort()
    expect(port).toBeGreaterThan(0)
    const server = createServer()
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', resolve)
    })
    expect(server.address()).toMatchObject({ address: '127.0.0.1', port })
    await new Promise((resolve) => server.close(resolve))
  })
})
