import { type DpopOptions, MemoryReplayStore } from '@stateless-auth/verifier'
import verifierPlugin from '@stateless-auth/verifier/fastify'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { makeProof, thumbprint } from './helpers/dpop.js'
import { type JwksServer, startJwksServer } from './helpers/jwks-server.js'
import { AUDIENCE, accessClaims, generateKey, signToken, type TestKey } from './helpers/keys.js'
import { pluginApp } from './helpers/plugin.js'

// What a deployment configures: the URL clients use behind a proxy, and where proof jtis are remembered.

let as: JwksServer
let signer: TestKey
let client: TestKey
let app: FastifyInstance | undefined

beforeAll(async () => {
  signer = generateKey('ES256', 'as')
  client = generateKey('EdDSA', 'client')
  as = await startJwksServer([signer])
})
afterAll(() => as.close())
afterEach(async () => {
  vi.useRealTimers()
  await app?.close()
  app = undefined
})

async function api(dpop: DpopOptions) {
  app = await pluginApp(as, { realm: 'r', dpop })
  app.get('/orders', { config: { auth: true } }, async (request) => ({ sub: request.auth?.sub }))
  await app.ready()
  const token = signToken(signer, accessClaims(as.issuer, { cnf: { jkt: thumbprint(client) } }))
  return (htu: string, headers: Record<string, string> = {}) =>
    app!.inject({
      url: '/orders?x=1',
      headers: { ...headers, authorization: `DPoP ${token}`, dpop: makeProof(client, { htu, token }) },
    })
}

describe('htu behind a proxy', () => {
  it('uses the configured public URL, path prefix included, and nothing the client says', async () => {
    const call = await api({ mode: 'allowed', publicUrl: 'https://api.example.com/v1/' })
    expect((await call('https://api.example.com/v1/orders')).statusCode).toBe(200)
    expect((await call('http://localhost/orders')).statusCode).toBe(401)
    const spoofed = await call('https://evil.example/orders', { 'x-forwarded-host': 'evil.example' })
    expect(spoofed.json()).toEqual({
      error: 'invalid_dpop_proof',
      error_description: 'The DPoP proof is for another URL (htu)',
    })
  })

  it('takes scheme and host from X-Forwarded-* or Forwarded only when told to trust them', async () => {
    const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com' }
    const rfc7239 = { forwarded: 'for=192.0.2.1;proto=https;host="api.example.com", for=10.0.0.1' }
    let call = await api({ mode: 'allowed', trustForwardedHeaders: true })
    expect((await call('https://api.example.com/orders', forwarded)).statusCode).toBe(200)
    expect((await call('https://api.example.com/orders', rfc7239)).statusCode).toBe(200)
    await app?.close()
    call = await api({ mode: 'allowed' })
    expect((await call('https://api.example.com/orders', forwarded)).statusCode).toBe(401)
    // Reached directly: the request's own scheme and Host (inject sends Host: localhost:80).
    expect((await call('http://localhost/orders')).statusCode).toBe(200)
  })
})

describe('replay store', () => {
  it('the in-memory store refuses new proofs when full of live ones (fail closed), and forgets expired ones', () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const store = new MemoryReplayStore(2)
    const until = Date.now() + 60_000
    expect(store.add('a', until)).toBe(true)
    expect(store.add('a', until)).toBe(false)
    expect(store.add('b', until)).toBe(true)
    expect(() => store.add('c', until)).toThrow(
      expect.objectContaining({ code: 'VERIFIER_ERR_DPOP_REPLAY_UNAVAILABLE', statusCode: 503 }),
    )
    vi.advanceTimersByTime(60_001)
    expect(store.add('c', Date.now() + 60_000)).toBe(true)
    expect(store.add('a', Date.now() + 60_000)).toBe(true)
  })

  it('a shared store is awaited, and one that fails answers 503, never lets the proof through', async () => {
    const seen = new Set<string>()
    let down = false
    const call = await api({
      mode: 'allowed',
      replayStore: {
        async add(key) {
          if (down) throw new Error('redis: connection refused')
          if (seen.has(key)) return false
          seen.add(key)
          return true
        },
      },
    })
    expect((await call('http://localhost/orders')).statusCode).toBe(200)
    expect(seen.size).toBe(1)
    down = true
    const res = await call('http://localhost/orders')
    expect(res.statusCode).toBe(503)
    expect(res.headers['www-authenticate']).toBeUndefined()
    expect(res.headers['retry-after']).toBe('5')
    expect(res.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'DPoP proofs cannot be checked right now',
    })
  })
})

describe('options', () => {
  it.each([
    ['an unknown mode', { mode: 'sometimes' }],
    ['HS256 for proofs', { algorithms: ['HS256'] }],
    ['a short nonce secret', { nonce: { secret: 'short' } }],
    ['a replay store without add', { replayStore: {} }],
    ['a relative publicUrl', { publicUrl: '/api' }],
  ])('refuse %s at registration', async (_name, dpop) => {
    const fastify = Fastify()
    await expect(
      fastify
        .register(verifierPlugin, { issuer: as.issuer, audience: AUDIENCE, dpop: dpop as DpopOptions })
        .ready(),
    ).rejects.toMatchObject({ code: 'VERIFIER_ERR_INVALID_OPTIONS' })
    await fastify.close()
  })
})
