import { createVerifier, type VerifierEvent, type VerifierOptions } from '@stateless-auth/verifier'
import { claimsOf } from '@stateless-auth/verifier/fastify'
import type { FastifyInstance } from 'fastify'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { trusting } from './helpers/jwks-server.js'
import { AUDIENCE, accessClaims, signToken } from './helpers/keys.js'
import { expectBearerRefusal, pluginApp } from './helpers/plugin.js'
import { type StatusIssuer, startStatusIssuer } from './helpers/status-issuer.js'

let as: StatusIssuer
const verifiers: { close(): Promise<void> }[] = []

beforeEach(async () => {
  as = await startStatusIssuer({ ttl: 60 })
})
afterEach(async () => {
  vi.useRealTimers()
  for (const v of verifiers.splice(0)) await v.close()
  await as.close()
})

const make = (status: VerifierOptions['status'] = true, extra: Partial<VerifierOptions> = {}) => {
  const events: VerifierEvent[] = []
  const verifier = createVerifier({ ...trusting(as), status, onEvent: (e) => events.push(e), ...extra })
  verifiers.push(verifier)
  return { verifier, events }
}

const tokenAt = (idx: number, uri = as.listUri, extra: Record<string, unknown> = {}) =>
  signToken(as.key, accessClaims(as.issuer, { status: { status_list: { idx, uri } }, ...extra }))

// With Date faked, a verifier that has read the list once for token `idx`: where each lifetime test starts.
async function afterFirstRead(
  idx: number,
  status: VerifierOptions['status'],
  extra?: Partial<VerifierOptions>,
) {
  vi.useFakeTimers({ toFake: ['Date'] })
  const made = make(status, extra)
  const token = tokenAt(idx)
  await made.verifier.verify(token)
  return { ...made, token }
}

const REVOKED = {
  code: 'VERIFIER_ERR_TOKEN_REVOKED',
  statusCode: 401,
  description: 'The access token has been revoked',
}

describe('status option', () => {
  it('is off by default: the status claim is ignored and nothing is fetched', async () => {
    as.list.set(3, 1)
    const verifier = createVerifier(trusting(as))
    verifiers.push(verifier)
    await expect(verifier.verify(tokenAt(3))).resolves.toMatchObject({ sub: 'alice' })
    expect(as.listHits).toBe(0)
    expect(verifier.stats().statusListFetches).toBe(0)
  })

  it('rejects invalid settings at construction', () => {
    const base = { issuer: 'http://127.0.0.1:1', audience: AUDIENCE }
    expect(() => createVerifier({ ...base, status: { allowedOrigins: ['http://a.example/path'] } })).toThrow(
      /bare origins/,
    )
    expect(() => createVerifier({ ...base, status: { allowedOrigins: [] } })).toThrow(/non-empty/)
    expect(() => createVerifier({ ...base, status: { maxStale: -1 } })).toThrow(/maxStale/)
    expect(() => createVerifier({ ...base, status: 'yes' as never })).toThrow(/status must be/)
  })
})

describe('status checks', () => {
  it('accepts a VALID token and refuses INVALID and SUSPENDED ones as revoked', async () => {
    as.list.set(1, 1)
    as.list.set(2, 2)
    const { verifier, events } = make()
    await expect(verifier.verify(tokenAt(0))).resolves.toMatchObject({ sub: 'alice' })
    await expect(verifier.verify(tokenAt(1))).rejects.toMatchObject(REVOKED)
    await expect(verifier.verify(tokenAt(2))).rejects.toMatchObject(REVOKED)
    expect(verifier.stats()).toMatchObject({ statusListFetches: 1, verified: 1 })
    expect(verifier.stats().failures.VERIFIER_ERR_TOKEN_REVOKED).toBe(2)
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'status_list_fetch', uri: as.listUri, ok: true, outcome: 'updated' }),
    )
  })

  it('refuses an index beyond the list with 401 invalid_token', async () => {
    const { verifier } = make()
    await expect(verifier.verify(tokenAt(1024))).rejects.toMatchObject({
      code: 'VERIFIER_ERR_STATUS_INVALID',
      statusCode: 401,
      oauthError: 'invalid_token',
    })
  })

  it('accepts a token without status unless required', async () => {
    const plain = signToken(as.key, accessClaims(as.issuer))
    await expect(make().verifier.verify(plain)).resolves.toMatchObject({ sub: 'alice' })
    await expect(make({ required: true }).verifier.verify(plain)).rejects.toMatchObject({
      code: 'VERIFIER_ERR_STATUS_INVALID',
      description: 'The access token has no status reference',
    })
    expect(as.listHits).toBe(0)
  })

  it('never fetches from an origin outside the allowlist', async () => {
    const { verifier } = make()
    const elsewhere = 'http://127.0.0.2:9/status-lists/1'
    await expect(verifier.verify(tokenAt(0, elsewhere))).rejects.toMatchObject({
      code: 'VERIFIER_ERR_STATUS_INVALID',
      statusCode: 401,
      description: 'The access token status list is not served by an allowed origin',
    })
    // An explicit allowlist replaces the issuer's origin.
    const other = make({ allowedOrigins: ['https://status.example'] }).verifier
    await expect(other.verify(tokenAt(0))).rejects.toMatchObject({ code: 'VERIFIER_ERR_STATUS_INVALID' })
    expect(as.listHits).toBe(0)
    expect(verifier.stats().statusListFetches + other.stats().statusListFetches).toBe(0)
  })

  it('refuses a malformed status claim', async () => {
    const { verifier } = make()
    const bad = signToken(
      as.key,
      accessClaims(as.issuer, { status: { status_list: { idx: -1, uri: as.listUri } } }),
    )
    await expect(verifier.verify(bad)).rejects.toMatchObject({ code: 'VERIFIER_ERR_STATUS_INVALID' })
  })

  it('fetches a list once for 100 concurrent requests (single flight)', async () => {
    const { verifier } = make()
    const release = as.hold()
    const all = Promise.all(Array.from({ length: 100 }, (_, i) => verifier.verify(tokenAt(i))))
    await new Promise((r) => setTimeout(r, 50))
    release()
    await expect(all).resolves.toHaveLength(100)
    expect(as.listHits).toBe(1)
    expect(verifier.stats().statusListFetches).toBe(1)
  })
})

describe('list lifetime', () => {
  it('keeps the list for ttl, then revalidates with If-None-Match (304) and sees a revocation after ttl', async () => {
    const { verifier, token } = await afterFirstRead(7, { staleWhileRevalidate: 0 })
    vi.setSystemTime(Date.now() + 30_000)
    await verifier.verify(token)
    expect(as.listHits).toBe(1)
    // Past ttl, unchanged: a 304 keeps the list.
    vi.setSystemTime(Date.now() + 31_000)
    await verifier.verify(token)
    expect(as.listHits).toBe(2)
    expect(as.notModified).toBe(1)
    // Revoked at the issuer: seen once the list is refetched after ttl.
    as.list.set(7, 1)
    await verifier.verify(token)
    vi.setSystemTime(Date.now() + 61_000)
    await expect(verifier.verify(token)).rejects.toMatchObject(REVOKED)
    expect(as.listHits).toBe(3)
  })

  it('at ttl, one request starts a refetch and requests keep being answered from the held list meanwhile', async () => {
    const { verifier, token } = await afterFirstRead(7, { staleWhileRevalidate: 5 })
    // Fresh: no fetch, however close to the end of the ttl.
    vi.setSystemTime(Date.now() + 59_900)
    await verifier.verify(token)
    expect(as.listHits).toBe(1)
    vi.setSystemTime(Date.now() + 600)
    as.list.set(7, 1)
    const release = as.hold()
    // Just past ttl: answered at once from the held list, while one refetch starts.
    await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'alice' })
    await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'alice' })
    await vi.waitFor(() => expect(as.listHits).toBe(2))
    release()
    await vi.waitFor(() => expect(verifier.verify(token)).rejects.toMatchObject(REVOKED))
    expect(as.listHits).toBe(2)
  })

  it('after a quiet spell longer than staleWhileRevalidate, the first request waits for the fresh list', async () => {
    const { verifier, token } = await afterFirstRead(7, { staleWhileRevalidate: 5 })
    as.list.set(7, 1)
    vi.setSystemTime(Date.now() + 65_500)
    await expect(verifier.verify(token)).rejects.toMatchObject(REVOKED)
    expect(as.listHits).toBe(2)
  })

  it('under steady traffic fetches a list exactly once per ttl, whatever the fetch takes', async () => {
    const { verifier, events } = await afterFirstRead(7, {})
    const start = Date.now()
    const token = tokenAt(7, as.listUri, { exp: Math.floor(start / 1000) + 3600 })
    const fetched = () => events.filter((e) => e.type === 'status_list_fetch').length
    const fetchedAt: number[] = []
    // A request every 250 ms for ten ttls (60 s each); each refetch takes 400 ms of (fake) time to answer.
    for (let t = 250; t <= 600_000; t += 250) {
      vi.setSystemTime(start + t)
      const started = verifier.stats().statusListFetches
      await verifier.verify(token)
      if (verifier.stats().statusListFetches > started) {
        fetchedAt.push(t)
        vi.setSystemTime(start + t + 400)
        await vi.waitFor(() => expect(fetched()).toBe(started + 1))
      }
    }
    expect(events.filter((e) => e.type === 'status_list_fetch' && !e.ok)).toEqual([])
    // One fetch at each ttl boundary (60 s, 120 s, … 600 s after the first), not earlier and not more often.
    expect(fetchedAt).toEqual(Array.from({ length: 10 }, (_, i) => (i + 1) * 60_000))
  })

  it('a cached token is checked against the current list on every use', async () => {
    const { verifier, token } = await afterFirstRead(9, { staleWhileRevalidate: 0 }, { cache: { max: 100 } })
    await verifier.verify(token)
    expect(verifier.stats().tokenCacheHits).toBe(1)
    as.list.set(9, 1)
    vi.setSystemTime(Date.now() + 61_000)
    await expect(verifier.verify(token)).rejects.toMatchObject(REVOKED)
    // Still cached, still refused: the hit is checked against the list each time.
    await expect(verifier.verify(token)).rejects.toMatchObject(REVOKED)
    await expect(verifier.authenticate(`Bearer ${token}`)).rejects.toMatchObject(REVOKED)
    expect(verifier.stats().tokenCacheHits).toBe(1)
  })

  for (const fault of ['typ', 'sub', 'signature', 'expired', 'down'] as const) {
    it(`a list that is unusable (${fault}) leaves the last good one in use up to maxStale, then 503`, async () => {
      const { verifier, events, token } = await afterFirstRead(4, {
        maxStale: 30,
        staleWhileRevalidate: 0,
        minRefetchInterval: 5,
      })
      as.fault = fault
      // Past ttl: the refetch fails, the last good list answers (stale).
      vi.setSystemTime(Date.now() + 61_000)
      await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'alice' })
      expect(events.filter((e) => e.type === 'status_list_fetch' && !e.ok)).toHaveLength(1)
      // Within minRefetchInterval: no new fetch.
      const hits = as.listHits
      await verifier.verify(token)
      expect(as.listHits).toBe(hits)
      // Past ttl + maxStale: fail closed.
      vi.setSystemTime(Date.now() + 31_000)
      const err = await verifier.verify(token).catch((e: unknown) => e)
      expect(err).toMatchObject({ code: 'VERIFIER_ERR_STATUS_UNAVAILABLE', statusCode: 503 })
      expect((err as { retryAfter: number }).retryAfter).toBeGreaterThanOrEqual(1)
      // Served correctly again: back in service.
      as.fault = 'none'
      vi.setSystemTime(Date.now() + 6_000)
      await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'alice' })
    })
  }

  it('never used an unusable list in the first place: 503 without a good one', async () => {
    as.fault = 'typ'
    const { verifier } = make()
    await expect(verifier.verify(tokenAt(0))).rejects.toMatchObject({
      code: 'VERIFIER_ERR_STATUS_UNAVAILABLE',
      statusCode: 503,
    })
  })
})

describe('internal fetch base (status.fetchBase)', () => {
  // Tokens name their list at the public issuer, which this process cannot reach (as in a container); the list is
  // fetched from the internal address instead and must still name the public URI as its `sub`.
  const PUBLIC = 'http://issuer.public.test:4000'
  let internal: StatusIssuer
  afterEach(() => internal?.close())

  const behind = (fetchBase: string, extra: Partial<VerifierOptions> = {}) => {
    const events: VerifierEvent[] = []
    const requested: string[] = []
    const verifier = createVerifier({
      issuer: PUBLIC,
      audience: AUDIENCE,
      jwksUri: internal.jwksUri,
      status: { fetchBase, maxStale: 0 },
      onEvent: (e) => events.push(e),
      fetch: (input, init) => {
        requested.push(String(input))
        return fetch(input, init)
      },
      ...extra,
    })
    verifiers.push(verifier)
    return { verifier, events, requested }
  }
  const publicToken = (idx: number, uri = `${PUBLIC}/status-lists/1`) =>
    signToken(internal.key, accessClaims(PUBLIC, { status: { status_list: { idx, uri } } }))

  it('fetches the list named at the public issuer from the internal base, and checks it', async () => {
    internal = await startStatusIssuer({ publicOrigin: PUBLIC })
    internal.list.set(4, 1)
    const { verifier, events, requested } = behind(`${internal.origin}/`)
    await expect(verifier.verify(publicToken(3))).resolves.toMatchObject({ sub: 'alice' })
    await expect(verifier.verify(publicToken(4))).rejects.toMatchObject(REVOKED)
    expect(requested).toEqual([internal.jwksUri, `${internal.origin}/status-lists/1`])
    expect(internal.listHits).toBe(1)
    // Events and caching use the URI the token names.
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'status_list_fetch', uri: `${PUBLIC}/status-lists/1`, ok: true }),
    )
  })

  it('still refuses a list whose sub is not the URI in the token', async () => {
    // The internal server signs its own address as sub: the list does not vouch for the public URI.
    internal = await startStatusIssuer()
    const { verifier, events } = behind(internal.origin)
    await expect(verifier.verify(publicToken(3))).rejects.toMatchObject({
      code: 'VERIFIER_ERR_STATUS_UNAVAILABLE',
      statusCode: 503,
    })
    expect(internal.listHits).toBe(1)
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'status_list_fetch', ok: false, error: expect.stringMatching(/sub/i) }),
    )
  })

  it('applies the allowed-origin check to the URI in the token, never to the internal base', async () => {
    internal = await startStatusIssuer({ publicOrigin: PUBLIC })
    const { verifier } = behind(internal.origin)
    // A token naming the internal address itself is not on an allowed origin: nothing is fetched.
    await expect(verifier.verify(publicToken(3, `${internal.origin}/status-lists/1`))).rejects.toMatchObject({
      code: 'VERIFIER_ERR_STATUS_INVALID',
      description: 'The access token status list is not served by an allowed origin',
    })
    // Another allowed origin is fetched as named, not through the base.
    const { verifier: other, requested } = behind(internal.origin, {
      status: { fetchBase: internal.origin, allowedOrigins: [PUBLIC, 'http://127.0.0.1:9'], maxStale: 0 },
    })
    await expect(other.verify(publicToken(3, 'http://127.0.0.1:9/status-lists/1'))).rejects.toMatchObject({
      statusCode: 503,
    })
    expect(requested).toContain('http://127.0.0.1:9/status-lists/1')
    expect(internal.listHits).toBe(0)
  })

  it('rejects a base that is not a plain http(s) URL at construction', () => {
    const base = { issuer: PUBLIC, audience: AUDIENCE }
    expect(() => createVerifier({ ...base, status: { fetchBase: 'http://as.internal/?x=1' } })).toThrow(
      /fetchBase/,
    )
    expect(() => createVerifier({ ...base, status: { fetchBase: 'ftp://as.internal' } })).toThrow(/fetchBase/)
  })

  it('maps a base with a path prefix', async () => {
    internal = await startStatusIssuer({ publicOrigin: PUBLIC })
    const { verifier, requested } = behind(`${internal.origin}/as`)
    await expect(verifier.verify(publicToken(3))).rejects.toMatchObject({ statusCode: 503 })
    expect(requested).toContain(`${internal.origin}/as/status-lists/1`)
  })
})

describe('through the Fastify adapter', () => {
  let app: FastifyInstance
  afterEach(() => app?.close())

  const build = async (extra: Partial<VerifierOptions> = {}) => {
    app = await pluginApp(as, { status: { maxStale: 0, staleWhileRevalidate: 0 }, ...extra })
    app.get('/me', { preHandler: app.authenticate }, async (request) => ({ sub: claimsOf(request).sub }))
    return app
  }

  it('answers 200 for a valid token and 401 with the exact challenge for a revoked one', async () => {
    as.list.set(5, 1)
    await build({ cache: { max: 10 } })
    const ok = await app.inject({ url: '/me', headers: { authorization: `Bearer ${tokenAt(6)}` } })
    expect(ok.statusCode).toBe(200)
    const res = await app.inject({ url: '/me', headers: { authorization: `Bearer ${tokenAt(5)}` } })
    expectBearerRefusal(res, 401, 'invalid_token', 'The access token has been revoked')
  })

  it('answers 503 with Retry-After when no usable list can be had', async () => {
    as.fault = 'down'
    await build()
    const res = await app.inject({ url: '/me', headers: { authorization: `Bearer ${tokenAt(6)}` } })
    expect(res.statusCode).toBe(503)
    expect(res.headers['retry-after']).toMatch(/^\d+$/)
    expect(res.json()).toMatchObject({ error: 'temporarily_unavailable' })
  })
})
