import { backends } from '@stateless-auth/sql/testing'
import type { FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { hashSecret } from '../src/crypto.js'
import { basic, freshStores } from './helpers.js'

const form = { 'content-type': 'application/x-www-form-urlencoded' }

/** A form POST from `remoteAddress`, authenticated as `client` with `secret` (client_secret_basic). */
function postAs(
  app: FastifyInstance,
  remoteAddress: string,
  url: string,
  client: string,
  secret: string,
  payload: string,
) {
  return app.inject({
    method: 'POST',
    url,
    remoteAddress,
    headers: { ...basic(client, secret), ...form },
    payload,
  })
}

function clientCredentials(app: FastifyInstance, remoteAddress: string, secret = 'orders-api-secret') {
  return postAs(app, remoteAddress, '/token', 'orders-api', secret, 'grant_type=client_credentials')
}

function revokeAsWeb(app: FastifyInstance, remoteAddress: string, secret: string) {
  return postAs(app, remoteAddress, '/revoke', 'web', secret, 'token=not-a-token')
}

describe.each(backends())('wrong client secrets on %s', (backend) => {
  const newStore = freshStores(backend)
  let app: FastifyInstance | undefined
  afterEach(async () => {
    await app?.close()
  })

  async function build() {
    const store = await newStore()
    app = await buildApp(
      loadConfig({ DATABASE_URL: store.url, ISSUER: 'http://127.0.0.1:4000', RATE_LIMIT_TOKEN_MAX: '10000' }),
    )
    return app
  }

  // Issue 12, item 6: 300 wrong `web` secrets from 10 addresses each ran scrypt on the thread pool that token
  // signing shares, with no 429, and held a real client_credentials request for seconds.
  it('answers a flood of 300 wrong secrets from 10 sources with 401 then 429, and still serves real clients', async () => {
    const server = await build()
    const flood = Array.from({ length: 300 }, (_, i) =>
      revokeAsWeb(server, `10.0.0.${(i % 10) + 1}`, `wrong-${i}`),
    )
    const legitimate = clientCredentials(server, '10.0.1.1')
    const [real, ...answers] = await Promise.all([legitimate, ...flood])
    expect(real.statusCode).toBe(200)
    expect(real.json()).toMatchObject({ access_token: expect.any(String), token_type: 'Bearer' })

    // Ten checked failures per (client, source), then 429 for the rest: 10 × 10 and 10 × 20.
    const failed = answers.filter((r) => r.statusCode === 401)
    const limited = answers.filter((r) => r.statusCode === 429)
    expect(failed).toHaveLength(100)
    expect(limited).toHaveLength(200)
    for (const response of failed) expect(response.json()).toMatchObject({ error: 'invalid_client' })
    for (const response of limited) {
      expect(response.json()).toEqual({ error: 'too_many_requests', error_description: expect.any(String) })
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0)
    }
    // A flooding source is refused before any check, even with the right secret; the client itself is not
    // locked out: from its own address the right secret works.
    expect((await revokeAsWeb(server, '10.0.0.1', 'web-secret')).statusCode).toBe(429)
    expect((await revokeAsWeb(server, '10.0.2.1', 'web-secret')).statusCode).toBe(200)
  })

  it('stores client secrets as keyed hashes, never scrypt', async () => {
    const server = await build()
    const stored = await server.authServer.storage.clients.find('orders-api')
    expect(stored?.secretHash).toMatch(/^hmac-sha256\$[\w-]{8}\$[\w-]{43}$/)
    expect((await clientCredentials(server, '10.0.1.1')).statusCode).toBe(200)
  })

  // A row written before the keyed hash holds scrypt: it must keep working (no client lost), its checks are
  // capped so a flood cannot fill the thread pool, and its first success rewrites it.
  it('caps concurrent checks of a legacy scrypt row with 503, then upgrades the row on success', async () => {
    const server = await build()
    const legacy = await hashSecret('orders-api-secret')
    await server.authServer.storage.db.execute('UPDATE clients SET secret_hash = $1 WHERE id = $2', [
      legacy,
      'orders-api',
    ])
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => clientCredentials(server, `10.0.3.${i + 1}`, `wrong-${i}`)),
    )
    const statuses = answers.map((r) => r.statusCode)
    expect(statuses.every((s) => s === 401 || s === 503)).toBe(true)
    const busy = answers.filter((r) => r.statusCode === 503)
    // At most 2 running and 8 queued: the other 30 are answered at once.
    expect(busy.length).toBeGreaterThanOrEqual(30)
    for (const response of busy) {
      expect(response.json()).toEqual({
        error: 'temporarily_unavailable',
        error_description: expect.any(String),
      })
      expect(response.headers['retry-after']).toBe('1')
    }

    expect((await clientCredentials(server, '10.0.1.1')).statusCode).toBe(200)
    expect((await server.authServer.storage.clients.find('orders-api'))?.secretHash).toMatch(/^hmac-sha256\$/)
    // Upgraded: wrong secrets are now checked without scrypt, so none is turned away as busy.
    const after = await Promise.all(
      Array.from({ length: 40 }, (_, i) => clientCredentials(server, `10.0.4.${i + 1}`, `wrong-${i}`)),
    )
    expect(after.map((r) => r.statusCode)).toEqual(Array(40).fill(401))
  })
})
