import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { backends, type TestStore } from '@stateless-auth/sql/testing'
import {
  readStatusClaim,
  readStatusListClaims,
  STATUS_LIST_JWT_TYP,
  type StatusList,
  StatusType,
} from '@stateless-auth/status-list'
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
import {
  admin,
  basic,
  fakeClock,
  freshStores,
  obtainCode,
  post,
  redeem,
  refresh,
  start,
  verifyAccessToken,
} from './helpers.js'

interface Ref {
  token: string
  idx: number
  uri: string
}

const refOf = (token: string): Ref => {
  const ref = readStatusClaim(decodeJwt(token))
  if (!ref) throw new Error('the access token carries no status claim')
  return { token, idx: ref.idx, uri: ref.uri }
}
const key = (ref: Ref) => `${ref.uri}#${ref.idx}`

async function clientToken(url: string): Promise<Ref> {
  const response = await post(
    `${url}/token`,
    { grant_type: 'client_credentials' },
    basic('orders-api', 'orders-api-secret'),
  )
  expect(response.status).toBe(200)
  return refOf(((await response.json()) as { access_token: string }).access_token)
}

/** A user's tokens from the code flow: access token plus refresh token. */
async function userTokens(url: string, username = 'alice') {
  const response = await redeem(url, await obtainCode(url, { username }))
  expect(response.status).toBe(200)
  const body = (await response.json()) as { access_token: string; refresh_token: string }
  return { access: refOf(body.access_token), refreshToken: body.refresh_token }
}

/** Fetches, verifies (JWKS signature, typ, sub, iat/exp/ttl) and decodes the list a token points into. */
async function fetchList(url: string, uri: string): Promise<StatusList> {
  const response = await fetch(uri, { headers: { accept: 'application/statuslist+jwt' } })
  expect(response.status).toBe(200)
  const { payload } = await jwtVerify(await response.text(), createRemoteJWKSet(new URL(`${url}/jwks`)), {
    typ: STATUS_LIST_JWT_TYP,
    algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
  })
  return readStatusListClaims(payload, { uri }).list
}

/** The indices of every non-VALID entry of the list. */
function revoked(list: StatusList): number[] {
  const out: number[] = []
  for (let i = 0; i < list.size; i++) if (list.get(i) !== StatusType.VALID) out.push(i)
  return out
}

/** Checks that exactly `dead` are INVALID among all the lists the given tokens point into. */
async function expectRevoked(url: string, all: Ref[], dead: Ref[]) {
  const uris = [...new Set(all.map((ref) => ref.uri))]
  for (const uri of uris) {
    const list = await fetchList(url, uri)
    const expected = dead
      .filter((ref) => ref.uri === uri)
      .map((ref) => ref.idx)
      .sort((a, b) => a - b)
    expect(revoked(list), uri).toEqual(expected)
    for (const ref of dead.filter((r) => r.uri === uri)) expect(list.get(ref.idx)).toBe(StatusType.INVALID)
  }
}

describe.each(backends())('status lists on %s', (backend) => {
  const newStore = freshStores(backend)
  let store: TestStore | undefined
  afterEach(() => {
    store = undefined
  })
  const startOn = async (overrides: Record<string, string> = {}, deps = {}) => {
    store ??= await newStore()
    return start({ DATABASE_URL: store.url, ...overrides }, deps)
  }

  it('gives every access token a distinct random index into a list that verifies and decodes', async () => {
    const server = await startOn({ STATUS_LIST_SIZE: '1024' })
    const refs: Ref[] = []
    for (let i = 0; i < 12; i++) refs.push(await clientToken(server.url))
    const { payload } = await verifyAccessToken(
      server.url,
      refs[0]!.token,
      'urn:stateless-auth:inventory-api',
    )
    expect(payload.status).toEqual({ status_list: { idx: refs[0]!.idx, uri: refs[0]!.uri } })

    const uri = refs[0]!.uri
    expect(uri).toMatch(new RegExp(`^${server.url}/status-lists/[A-Za-z0-9_-]{16}$`))
    expect(refs.every((ref) => ref.uri === uri)).toBe(true)
    const indices = refs.map((ref) => ref.idx)
    expect(new Set(indices).size).toBe(12)
    expect(indices.every((idx) => idx >= 0 && idx < 1024)).toBe(true)
    // Not the issuance order: a counter would give 0, 1, 2…; twelve random draws come out sorted once in 12!.
    expect(indices).not.toEqual([...indices].sort((a, b) => a - b))

    const response = await fetch(uri)
    expect(response.headers.get('content-type')).toBe('application/statuslist+jwt')
    expect(response.headers.get('cache-control')).toBe('public, max-age=30')
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
    expect(response.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]{43}"$/)
    const jwt = await response.text()
    const { payload: claims, protectedHeader } = await jwtVerify(
      jwt,
      createRemoteJWKSet(new URL(`${server.url}/jwks`)),
      { typ: STATUS_LIST_JWT_TYP },
    )
    const access = decodeJwt(refs[0]!.token)
    // Signed with the key that signs access tokens.
    expect(protectedHeader.kid).toBe(
      (await verifyAccessToken(server.url, refs[0]!.token, 'urn:stateless-auth:inventory-api'))
        .protectedHeader.kid,
    )
    expect(claims.sub).toBe(uri)
    expect(claims.ttl).toBe(30)
    expect(Math.abs((claims.iat as number) - (access.iat as number))).toBeLessThan(60)
    expect(claims.exp).toBe((claims.iat as number) + 10 * 30 + 60)
    expect(claims.status_list).toMatchObject({ bits: 1 })
    const list = readStatusListClaims(claims, { uri }).list
    expect(list.size).toBe(1024)
    expect(revoked(list)).toEqual([])

    // draft §9: the aggregation lists it, and the metadata points at the aggregation.
    const metadata = (await (
      await fetch(`${server.url}/.well-known/oauth-authorization-server`)
    ).json()) as Record<string, unknown>
    expect(metadata.status_list_aggregation_endpoint).toBe(`${server.url}/status-lists`)
    const aggregation = await fetch(`${server.url}/status-lists`)
    expect(aggregation.headers.get('content-type')).toMatch(/^application\/json/)
    expect(aggregation.headers.get('cache-control')).toBe('public, max-age=30')
    expect(await aggregation.json()).toEqual({ status_lists: [uri] })

    for (const missing of ['AAAAAAAAAAAAAAAA', 'not-a-list', '..%2Fjwks']) {
      const notFound = await fetch(`${server.url}/status-lists/${missing}`)
      expect(notFound.status).toBe(404)
      expect(await notFound.json()).toEqual({ error: 'not_found', error_description: 'no such status list' })
    }
  })

  it('answers 304 to If-None-Match while the list is unchanged, and a new ETag once it changes', async () => {
    const server = await startOn({ STATUS_LIST_SIZE: '64' })
    const [a, b] = [await clientToken(server.url), await clientToken(server.url)]
    const first = await fetch(a.uri)
    const etag = first.headers.get('etag')!
    const same = await fetch(a.uri)
    expect(same.headers.get('etag')).toBe(etag)
    expect(await same.text()).toBe(await first.text())

    const notModified = await fetch(a.uri, { headers: { 'if-none-match': etag } })
    expect(notModified.status).toBe(304)
    expect(notModified.headers.get('etag')).toBe(etag)
    expect(notModified.headers.get('cache-control')).toBe('public, max-age=30')
    expect(await notModified.text()).toBe('')
    expect((await fetch(a.uri, { headers: { 'if-none-match': `"other", W/${etag}` } })).status).toBe(304)
    expect((await fetch(a.uri, { headers: { 'if-none-match': '"other"' } })).status).toBe(200)

    // Issuing a token changes no bit; revoking one does.
    await clientToken(server.url)
    expect((await fetch(a.uri, { headers: { 'if-none-match': etag } })).status).toBe(304)
    await post(`${server.url}/revoke`, { token: a.token }, basic('orders-api', 'orders-api-secret'))
    const changed = await fetch(a.uri, { headers: { 'if-none-match': etag } })
    expect(changed.status).toBe(200)
    expect(changed.headers.get('etag')).not.toBe(etag)
    await expectRevoked(server.url, [a, b], [a])
  })

  it('sets INVALID for exactly the tokens each revocation event kills', async () => {
    const server = await startOn({ STATUS_LIST_SIZE: '256' })
    const service = await clientToken(server.url)
    const bob = await userTokens(server.url, 'bob')
    const all: Ref[] = [service, bob.access]
    const dead: Ref[] = []

    // RFC 7009 /revoke of one access token.
    const a1 = await userTokens(server.url)
    const a2 = await userTokens(server.url)
    all.push(a1.access, a2.access)
    expect(
      (await post(`${server.url}/revoke`, { token: a1.access.token }, basic('web', 'web-secret'))).status,
    ).toBe(200)
    dead.push(a1.access)
    await expectRevoked(server.url, all, dead)

    // Refresh-token reuse: every access token of the family, and only that family.
    const family = await userTokens(server.url)
    const rotated = (await (await refresh(server.url, family.refreshToken)).json()) as {
      access_token: string
    }
    const second = refOf(rotated.access_token)
    all.push(family.access, second)
    await expectRevoked(server.url, all, dead)
    expect((await refresh(server.url, family.refreshToken)).status).toBe(400)
    dead.push(family.access, second)
    await expectRevoked(server.url, all, dead)

    // A replayed authorization code: the token it issued.
    const code = await obtainCode(server.url)
    const issued = refOf(
      ((await (await redeem(server.url, code)).json()) as { access_token: string }).access_token,
    )
    all.push(issued)
    expect((await redeem(server.url, code)).status).toBe(400)
    dead.push(issued)
    await expectRevoked(server.url, all, dead)

    // Disabling a user: every live token of that user (a2 so far), not bob's, not the client's own.
    expect((await admin(server.adminUrl, '/admin/users/alice/disable')).status).toBe(200)
    dead.push(a2.access)
    await expectRevoked(server.url, all, dead)
    // Enabling again does not bring revoked tokens back.
    expect((await admin(server.adminUrl, '/admin/users/alice/enable')).status).toBe(200)
    await expectRevoked(server.url, all, dead)
  })

  it('reuses an index only after its token expired (plus skew), and opens a new list when one is full', async () => {
    const clock = fakeClock()
    const server = await startOn(
      { STATUS_LIST_SIZE: '8', ACCESS_TOKEN_TTL: '10', CLOCK_SKEW: '5' },
      { now: clock.now },
    )
    const first: Ref[] = []
    for (let i = 0; i < 8; i++) first.push(await clientToken(server.url))
    expect(new Set(first.map((ref) => ref.uri)).size).toBe(1)
    expect(first.map((ref) => ref.idx).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7])

    // Full: the ninth token opens a second list.
    const ninth = await clientToken(server.url)
    expect(ninth.uri).not.toBe(first[0]!.uri)
    const live = new Set([...first, ninth].map(key))

    // Past exp but inside the skew: still live, so no index of theirs is handed out again.
    clock.advance(12)
    const during: Ref[] = []
    for (let i = 0; i < 9; i++) during.push(await clientToken(server.url))
    expect(during.filter((ref) => live.has(key(ref)))).toEqual([])
    expect(new Set(during.map(key)).size).toBe(9)

    // Past exp + skew of the first batch (not yet of `during`): their indices come back, no list is added.
    clock.advance(4)
    const lists = new Set([...first, ninth, ...during].map((ref) => ref.uri))
    const stillLive = new Set(during.map(key))
    const after: Ref[] = []
    for (let i = 0; i < 9; i++) after.push(await clientToken(server.url))
    expect(after.filter((ref) => stillLive.has(key(ref)))).toEqual([])
    expect(after.every((ref) => lists.has(ref.uri))).toBe(true)
    expect(new Set(after.map(key)).size).toBe(9)
    // The open list (2 of `during` in it) takes 6; then the first list, drained, is reopened for the other 3.
    const reused = after.filter((ref) => live.has(key(ref)))
    expect(reused).toHaveLength(3)
    expect(reused.every((ref) => ref.uri === first[0]!.uri)).toBe(true)
    const aggregation = (await (await fetch(`${server.url}/status-lists`)).json()) as {
      status_lists: string[]
    }
    expect(new Set(aggregation.status_lists)).toEqual(lists)
  })

  it('gives 200 concurrent client_credentials grants 200 distinct entries', {
    timeout: 120_000,
  }, async () => {
    const server = await startOn({ STATUS_LIST_SIZE: '64' })
    const refs = await Promise.all(Array.from({ length: 200 }, () => clientToken(server.url)))
    expect(new Set(refs.map(key)).size).toBe(200)
    expect(refs.every((ref) => ref.idx < 64)).toBe(true)
    // 200 tokens in lists of 64: at least four lists, each list holding at most 64 of them.
    const perList = new Map<string, number>()
    for (const ref of refs) perList.set(ref.uri, (perList.get(ref.uri) ?? 0) + 1)
    expect(perList.size).toBeGreaterThanOrEqual(4)
    for (const count of perList.values()) expect(count).toBeLessThanOrEqual(64)
    await expectRevoked(server.url, refs, [])
  })
})

describe('status lists and the operator command line', () => {
  const newStore = freshStores(backends()[0]!)

  it('sets INVALID for the live tokens of a user disabled with `cli users disable`', {
    timeout: 60_000,
  }, async () => {
    const store = await newStore()
    const server = await start({ DATABASE_URL: store.url, STATUS_LIST_SIZE: '64' })
    const bob = await userTokens(server.url, 'bob')
    const alice = await userTokens(server.url, 'alice')
    await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', 'users', 'disable', 'bob'],
      {
        cwd: new URL('..', import.meta.url).pathname,
        env: { ...process.env, DATABASE_URL: store.url },
      },
    )
    await expectRevoked(server.url, [bob.access, alice.access], [bob.access])
  })
})
