import { backends } from '@stateless-auth/sql/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { migrations, type Storage } from '../src/storage/index.js'
import { freshStorage } from './helpers.js'

const NOW = 1_800_000_000

describe.each(backends())('storage on %s', (backend) => {
  let storage: Storage
  beforeEach(async () => {
    storage = await freshStorage(backend)
  })
  afterEach(() => storage.close())

  const grant = (id: string) => ({
    id,
    userId: 'alice',
    clientId: 'web',
    scope: 'openid orders:read',
    resources: ['urn:stateless-auth:orders-api'],
    authTime: NOW,
    createdAt: NOW,
    expiresAt: NOW + 3600,
  })
  const code = (codeHash: string, grantId: string) => ({
    codeHash,
    grantId,
    clientId: 'web',
    redirectUri: 'http://localhost:3000/auth/callback',
    redirectUriSent: true,
    codeChallenge: 'x',
    nonce: null,
    createdAt: NOW,
    expiresAt: NOW + 60,
  })
  const refreshToken = (tokenHash: string, grantId: string, expiresAt = NOW + 60) => ({
    tokenHash,
    grantId,
    clientId: 'web',
    createdAt: NOW,
    expiresAt,
  })

  it('migrates idempotently', async () => {
    expect(await storage.db.migrate(migrations)).toEqual([])
  })

  it('stores users once and disables/enables them by username', async () => {
    const user = { id: 'alice', username: 'alice', passwordHash: 'h', name: 'Alice', email: null }
    expect(await storage.users.createIfMissing(user, NOW)).toBe(true)
    expect(await storage.users.createIfMissing({ ...user, passwordHash: 'other' }, NOW)).toBe(false)
    expect(await storage.users.findByUsername('alice')).toMatchObject({ passwordHash: 'h', disabledAt: null })
    expect(await storage.users.setDisabled('alice', true, NOW)).toBe(true)
    expect((await storage.users.findById('alice'))?.disabledAt).toBe(NOW)
    expect(await storage.users.setDisabled('nobody', true, NOW)).toBe(false)
  })

  it('upserts clients and merges consents', async () => {
    const metadata = {
      client_id: 'web',
      client_name: 'Web',
      token_endpoint_auth_methods: ['client_secret_basic' as const],
      redirect_uris: ['http://localhost:3000/cb'],
      grant_types: ['authorization_code' as const],
      scopes: ['openid'],
      resources: ['urn:stateless-auth:orders-api'],
    }
    await storage.clients.upsert(metadata, 'hash-1', NOW)
    await storage.clients.upsert({ ...metadata, client_name: 'Web 2' }, 'hash-2', NOW)
    expect(await storage.clients.find('web')).toMatchObject({ client_name: 'Web 2', secretHash: 'hash-2' })
    await storage.consents.grant('alice', 'web', ['openid'], NOW)
    await storage.consents.grant('alice', 'web', ['orders:read', 'openid'], NOW)
    expect((await storage.consents.find('alice', 'web')).sort()).toEqual(['openid', 'orders:read'])
  })

  it('consumes a code once: the second attempt is reported as a replay', async () => {
    await storage.grants.create(grant('g1'))
    await storage.codes.create(code('c1', 'g1'))
    await storage.codes.create({ ...code('c2', 'g1'), redirectUriSent: false })
    // Reading a code leaves it unused; whether redirect_uri was sent at /authorize round-trips.
    expect(await storage.codes.find('c1')).toMatchObject({ redirectUriSent: true, consumedAt: null })
    expect(await storage.codes.find('c2')).toMatchObject({ redirectUriSent: false, consumedAt: null })
    expect(await storage.codes.find('nope')).toBeUndefined()
    expect((await storage.codes.consume('c1', NOW)).status).toBe('won')
    expect((await storage.codes.consume('c1', NOW)).status).toBe('replayed')
    expect((await storage.codes.consume('nope', NOW)).status).toBe('unknown')
  })

  it('lets exactly one of 20 concurrent consumers win a code and a refresh token', async () => {
    await storage.grants.create(grant('g1'))
    await storage.codes.create(code('c1', 'g1'))
    await storage.refreshTokens.create(refreshToken('r1', 'g1'))
    const codes = await Promise.all(Array.from({ length: 20 }, () => storage.codes.consume('c1', NOW)))
    expect(codes.filter((r) => r.status === 'won')).toHaveLength(1)
    const refreshes = await Promise.all(
      Array.from({ length: 20 }, () => storage.refreshTokens.rotate('r1', NOW)),
    )
    expect(refreshes.filter((r) => r.status === 'won')).toHaveLength(1)
  })

  it('revokes a grant with its refresh tokens, access-token ids and unused codes in one go', async () => {
    await storage.grants.create(grant('g1'))
    await storage.grants.create(grant('g2'))
    await storage.refreshTokens.create(refreshToken('r1', 'g1'))
    await storage.refreshTokens.create(refreshToken('r2', 'g2'))
    const access = {
      grantId: 'g1',
      clientId: 'web',
      subject: 'alice',
      audience: 'a',
      scope: 's',
      issuedAt: NOW,
      expiresAt: NOW + 300,
    }
    await storage.accessTokens.record({ jti: 'j1', ...access })
    await storage.codes.create(code('c1', 'g1'))
    await storage.grants.revoke('g1', NOW + 1)
    expect((await storage.grants.find('g1'))?.revokedAt).toBe(NOW + 1)
    expect((await storage.refreshTokens.find('r1'))?.revokedAt).toBe(NOW + 1)
    expect((await storage.accessTokens.find('j1'))?.revokedAt).toBe(NOW + 1)
    expect((await storage.codes.consume('c1', NOW + 2)).status).toBe('replayed')
    expect((await storage.refreshTokens.find('r2'))?.revokedAt).toBeNull()
    expect((await storage.grants.find('g2'))?.resources).toEqual(['urn:stateless-auth:orders-api'])
  })

  it('keeps signing keys, retires the older ones and filters out dropped keys', async () => {
    const key = (kid: string, activatesAt: number) => ({
      kid,
      alg: 'RS256',
      publicJwk: '{}',
      privateKey: '{}',
      createdAt: NOW,
      activatesAt,
      retiresAt: null,
      dropAfter: null,
    })
    await storage.keys.insert(key('k1', NOW))
    await storage.keys.exclusive(async (tx) => {
      await storage.keys.insert(key('k2', NOW + 300), tx)
      await storage.keys.retireOthers('k2', NOW + 300, NOW + 700, tx)
    })
    expect((await storage.keys.live(NOW)).map((k) => k.kid)).toEqual(['k1', 'k2'])
    expect((await storage.keys.live(NOW + 700)).map((k) => k.kid)).toEqual(['k2'])
    await storage.purgeExpired(NOW + 700 + 86_401)
    expect((await storage.keys.live(0)).map((k) => k.kid)).toEqual(['k2'])
  })

  it('purges expired codes and access-token ids after a day of grace', async () => {
    await storage.grants.create(grant('g1'))
    await storage.accessTokens.record({
      jti: 'old',
      grantId: null,
      clientId: 'c',
      subject: 'c',
      audience: 'a',
      scope: 's',
      issuedAt: NOW,
      expiresAt: NOW + 1,
    })
    await storage.purgeExpired(NOW + 1000)
    expect(await storage.accessTokens.find('old')).toBeDefined()
    await storage.purgeExpired(NOW + 90_000)
    expect(await storage.accessTokens.find('old')).toBeUndefined()
  })

  // Issue 12, item 12: 300 /authorize requests kept 300 grants forever.
  it('purges grants that expired, were revoked or were never redeemed, with their codes', async () => {
    const longLived = (hash: string, grantId: string) => refreshToken(hash, grantId, NOW + 100_000_000)
    await storage.grants.create(grant('abandoned'))
    await storage.codes.create(code('c-abandoned', 'abandoned'))
    await storage.grants.create(grant('revoked'))
    await storage.refreshTokens.create(longLived('r-revoked', 'revoked'))
    await storage.grants.revoke('revoked', NOW + 10)
    await storage.grants.create(grant('expired'))
    await storage.refreshTokens.create(longLived('r-expired', 'expired'))
    await storage.grants.create({ ...grant('live'), expiresAt: NOW + 10_000_000 })
    await storage.refreshTokens.create(longLived('r-live', 'live'))
    await storage.sessions.create({ idHash: 's', userId: 'alice', authTime: NOW, expiresAt: NOW + 60 }, NOW)

    await storage.purgeExpired(NOW + 1000)
    for (const id of ['abandoned', 'revoked', 'expired', 'live'])
      expect(await storage.grants.find(id)).toBeDefined()
    expect(await storage.codes.find('c-abandoned')).toBeDefined()

    await storage.purgeExpired(NOW + 3600 + 86_401)
    for (const id of ['abandoned', 'revoked', 'expired'])
      expect(await storage.grants.find(id), id).toBeUndefined()
    expect(await storage.grants.find('live')).toBeDefined()
    expect(await storage.codes.find('c-abandoned')).toBeUndefined()
    const left = await storage.db.query<{ token_hash: string }>('SELECT token_hash FROM refresh_tokens')
    expect(left.map((r) => r.token_hash)).toEqual(['r-live'])
    expect(await storage.sessions.find('s', 0)).toBeUndefined()
  })

  it('counts hits atomically in fixed windows shared by every connection', async () => {
    const t = NOW * 1000
    const counts = await Promise.all(Array.from({ length: 20 }, () => storage.counters.hit('k', 60_000, t)))
    expect(counts.map((c) => c.count).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    )
    expect(new Set(counts.map((c) => c.resetAt))).toEqual(new Set([t + 60_000]))
    expect(await storage.counters.peek('k', t + 59_999)).toEqual({ count: 20, resetAt: t + 60_000 })
    // The window ends: peek sees nothing, the next hit starts a new window.
    expect((await storage.counters.peek('k', t + 60_000)).count).toBe(0)
    expect(await storage.counters.hit('k', 60_000, t + 60_000)).toEqual({ count: 1, resetAt: t + 120_000 })
    await storage.counters.clear('k')
    expect((await storage.counters.peek('k', t + 60_001)).count).toBe(0)
    await storage.counters.hit('old', 1000, t)
    await storage.purgeExpired(NOW + 2)
    expect((await storage.db.query('SELECT key FROM counters')).length).toBe(0)
  })
})
