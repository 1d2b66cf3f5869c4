import { backends } from '@stateless-auth/sql/testing'
import { decodeProtectedHeader, type JWK } from 'jose'
import { describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import { type AuthServerConfig, loadConfig } from '../src/config.js'
import {
  admin,
  basic,
  discover,
  fakeClock,
  freshStores,
  INVENTORY,
  post,
  signIn,
  start,
  verifyAccessToken,
} from './helpers.js'

async function serviceToken(url: string): Promise<string> {
  const response = await post(
    `${url}/token`,
    { grant_type: 'client_credentials' },
    basic('orders-api', 'orders-api-secret'),
  )
  return ((await response.json()) as { access_token: string }).access_token
}

async function jwks(url: string): Promise<JWK[]> {
  return ((await (await fetch(`${url}/jwks`)).json()) as { keys: JWK[] }).keys
}

describe('signing keys: published before they sign, kept until their tokens expire', () => {
  it('publishes public keys only, each with kid, alg and use, with a Cache-Control max-age', async () => {
    const server = await start()
    const response = await fetch(`${server.url}/jwks`)
    expect(response.headers.get('cache-control')).toBe('public, max-age=300')
    const [key, ...rest] = ((await response.json()) as { keys: JWK[] }).keys
    expect(rest).toEqual([])
    expect(key).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: expect.any(String) })
    for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(secret)
  })

  it('rotates on command: pending for the JWKS max-age, then signs; tokens from both keys verify', async () => {
    const clock = fakeClock()
    const t0 = clock.now()
    const server = await start(
      { JWKS_MAX_AGE: '300', ACCESS_TOKEN_TTL: '300', CLOCK_SKEW: '60' },
      { now: clock.now },
    )
    const before = await serviceToken(server.url)
    const oldKid = decodeProtectedHeader(before).kid

    const rotation = await admin(server.adminUrl, '/admin/keys/rotate')
    expect(rotation.status).toBe(200)
    const { kid: newKid } = (await rotation.json()) as { kid: string }
    expect((await jwks(server.url)).map((k) => k.kid)).toEqual([oldKid, newKid])
    // Pending: published, but the old key still signs until every cache has had time to fetch the new one.
    expect(decodeProtectedHeader(await serviceToken(server.url)).kid).toBe(oldKid)

    clock.advance(300)
    const after = await serviceToken(server.url)
    expect(decodeProtectedHeader(after).kid).toBe(newKid)
    await verifyAccessToken(server.url, before, INVENTORY, new Date(t0))
    await verifyAccessToken(server.url, after, INVENTORY, new Date(clock.now()))

    // The old key stays until the last token it could have signed has expired (+ skew), then drops out.
    clock.advance(300 + 60 - 1)
    expect((await jwks(server.url)).map((k) => k.kid)).toEqual([oldKid, newKid])
    clock.advance(1)
    expect((await jwks(server.url)).map((k) => k.kid)).toEqual([newKid])
  })

  it('rotates on a schedule, once per interval even when asked repeatedly', async () => {
    const clock = fakeClock()
    const server = await start({ KEY_ROTATION_INTERVAL: '3600' }, { now: clock.now })
    expect(await server.app.authServer.keys.rotateIfDue()).toBe(false)
    clock.advance(3600)
    const results = await Promise.all([
      server.app.authServer.keys.rotateIfDue(),
      server.app.authServer.keys.rotateIfDue(),
    ])
    expect(results.sort()).toEqual([false, true])
    expect(await jwks(server.url)).toHaveLength(2)
  })

  it('refuses the admin endpoints without the admin token', async () => {
    const server = await start()
    for (const token of ['wrong', '']) {
      const response = await admin(server.adminUrl, '/admin/keys/rotate', token)
      expect(response.status).toBe(401)
      expect(await response.json()).toMatchObject({ error: 'unauthorized' })
    }
    expect(await jwks(server.url)).toHaveLength(1)
    expect((await admin(server.adminUrl, '/admin/users/nobody/disable')).status).toBe(404)
  })

  it.each([
    ['ES256', { kty: 'EC', crv: 'P-256' }],
    ['EdDSA', { kty: 'OKP', crv: 'Ed25519' }],
    ['PS256', { kty: 'RSA' }],
  ])('signs with %s when SIGNING_ALG selects it', async (alg, shape) => {
    const server = await start({ SIGNING_ALG: alg })
    const token = await serviceToken(server.url)
    expect(decodeProtectedHeader(token)).toMatchObject({ alg, typ: 'at+jwt' })
    expect((await jwks(server.url))[0]).toMatchObject({ ...shape, alg })
    await verifyAccessToken(server.url, token, INVENTORY)
  })
})

describe.each(backends())('replicas sharing one %s store', (backend) => {
  const newStore = freshStores(backend)

  // Replicas share PostgreSQL; SQLite is the single-node store. Three SQLite connections in one process would
  // also block each other synchronously (better-sqlite3 waits on the lock inside the event loop), so this
  // scenario is meaningful, and run, on PostgreSQL only.
  const onPostgres = it.skipIf(backend.name === 'sqlite')

  /**
   * A config on a fresh store that one replica has started on and left: migrated once (concurrent first
   * migrations are the sql package's concern, keys are ours), with one RS256 key.
   */
  async function startedOnce() {
    const store = await newStore()
    const config = loadConfig({ DATABASE_URL: store.url, ISSUER: 'http://127.0.0.1:4000' })
    await (await buildApp(config)).close()
    return { config, url: store.url }
  }

  /** Three replicas starting at the same moment. */
  const threeReplicas = (config: AuthServerConfig) =>
    Promise.all([buildApp(config), buildApp(config), buildApp(config)])

  onPostgres('agree on one first key when they start at the same moment', async () => {
    const { config, url } = await startedOnce()
    const { openDatabase } = await import('@stateless-auth/sql')
    const db = await openDatabase(url)
    await db.execute('DELETE FROM signing_keys')
    await db.close()
    const apps = await threeReplicas(config)
    const sets = await Promise.all(apps.map((app) => app.authServer.keys.jwks()))
    expect(sets[0]!.keys).toHaveLength(1)
    expect(sets[1]).toEqual(sets[0])
    expect(sets[2]).toEqual(sets[0])
    await Promise.all(apps.map((app) => app.close()))
  })

  onPostgres('add one key, not one each, when they start together with a new SIGNING_ALG', async () => {
    const { config: rs256 } = await startedOnce()
    const apps = await threeReplicas({ ...rs256, signingAlg: 'ES256' })
    const { keys } = await apps[0]!.authServer.keys.jwks()
    expect(keys.map((k) => k.alg)).toEqual(['RS256', 'ES256'])
    await Promise.all(apps.map((app) => app.close()))
  })

  it('move to a new SIGNING_ALG by rotation, without breaking tokens signed with the old one', async () => {
    const store = await newStore()
    const first = await start({ DATABASE_URL: store.url })
    const rsToken = await serviceToken(first.url)
    await first.close()
    const second = await start({ DATABASE_URL: store.url, ISSUER: first.url, SIGNING_ALG: 'ES256' })
    const keys = await jwks(second.url)
    expect(keys.map((k) => k.alg)).toEqual(['RS256', 'ES256'])
    await verifyAccessToken(second.url, rsToken, INVENTORY)
    // While the ES256 key is pending the RS256 key still signs ID tokens: the metadata must say so, or a
    // certified client refuses every sign-in until the new key takes over.
    const config = await discover(second.url)
    expect(config.serverMetadata().id_token_signing_alg_values_supported).toEqual(['RS256', 'ES256'])
    const { tokens } = await signIn(config)
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('RS256')
  })
})
