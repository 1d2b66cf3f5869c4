import type { VerifierEvent } from '@stateless-auth/verifier'
import type { FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type JwksServer, startJwksServer } from './helpers/jwks-server.js'
import { accessClaims, generateKey, signToken, type TestKey } from './helpers/keys.js'
import { pluginApp } from './helpers/plugin.js'
import { waitFor } from './helpers/wait.js'

// Issue 12 item 2: 25 rotations in a few seconds left the APIs refusing every new token, because the verifier kept
// the first `maxKeys` (20) keys of a JWKS that lists the oldest first. Over HTTP, as the APIs run it.

let app: FastifyInstance | undefined
let as: JwksServer | undefined

afterEach(async () => {
  vi.useRealTimers()
  await app?.close()
  await as?.close()
  app = undefined
  as = undefined
})

const rotations = (n: number) => Array.from({ length: n }, (_, i) => generateKey('ES256', `key-${i}`))

async function api(keys: TestKey[], options: Record<string, unknown> = {}) {
  as = await startJwksServer(keys)
  const events: VerifierEvent[] = []
  app = await pluginApp(as, { onEvent: (e) => events.push(e), ...options })
  app.get('/orders', { config: { auth: { scopes: ['orders:read'] } } }, async (request) => ({
    sub: request.auth?.sub,
  }))
  await app.ready()
  const server = as
  const call = (key: TestKey) =>
    app!.inject({
      url: '/orders',
      headers: { authorization: `Bearer ${signToken(key, accessClaims(server.issuer))}` },
    })
  return { as: server, events, call }
}

describe('a JWKS with more keys than maxKeys (20)', () => {
  it('accepts a token signed by the newest of 25 keys listed oldest first, and reports the truncation', async () => {
    const keys = rotations(25)
    const { events, call } = await api(keys)
    const res = await call(keys[24]!)
    expect(res.statusCode).toBe(200)
    expect(events.find((e) => e.type === 'jwks_truncated')).toEqual({
      type: 'jwks_truncated',
      listed: 25,
      kept: 20,
      dropped: ['key-0', 'key-1', 'key-2', 'key-3', 'key-4'],
    })
  })

  it.each(['oldest first', 'newest first'] as const)(
    'keeps the key in use and the newly published ones through a rotation storm (JWKS listed %s)',
    async (order) => {
      vi.useFakeTimers({ toFake: ['Date'] })
      const keys = rotations(26)
      const { as, events, call } = await api(keys.slice(0, 20), { refreshInterval: 60_000 })
      expect((await call(keys[19]!)).statusCode).toBe(200)
      // Six rotations: the JWKS now lists 26 keys; the periodic refresh picks them up.
      as.setKeys(order === 'oldest first' ? keys : [...keys].reverse())
      vi.advanceTimersByTime(61_000)
      expect((await call(keys[19]!)).statusCode).toBe(200)
      await waitFor(() => events.filter((e) => e.type === 'jwks_fetch').length === 2)
      const fetches = as.jwksHits()
      // The key in use and every new key are held: no further fetch, no "unknown kid".
      for (const key of [keys[19]!, ...keys.slice(20)]) expect((await call(key)).statusCode).toBe(200)
      expect(as.jwksHits()).toBe(fetches)
      // What was dropped is the oldest, never used since the previous fetch.
      expect(events.find((e) => e.type === 'jwks_truncated')).toMatchObject({
        dropped: expect.arrayContaining(['key-0', 'key-1', 'key-2', 'key-3', 'key-4', 'key-5']),
      })
    },
  )
})
