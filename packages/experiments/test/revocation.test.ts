import { describe, expect, it } from 'vitest'
import type { Api, ApiAnswer } from '../src/experiments.js'
import { listTtl, revocationExperiment, statusListOf } from '../src/revocation.js'

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const jwt = (claims: Record<string, unknown>) => `${b64({ alg: 'ES256' })}.${b64(claims)}.sig`
const REVOKED: ApiAnswer = {
  status: 401,
  wwwAuthenticate:
    'Bearer realm="x", error="invalid_token", error_description="The access token has been revoked"',
}
const OK: ApiAnswer = { status: 200, wwwAuthenticate: undefined }

/**
 * Two simulated APIs on a simulated clock: each holds the list it fetched at `fetchedAt` and fetches it again when a
 * request comes `ttl` later (as the verifier does), seeing the revocation only then.
 */
function simulate(options: { ttl: number; offsets: Record<Api, number>; revokeOk?: boolean }) {
  let clock = 1_000_000
  let revokedAt: number | undefined
  const state = {
    orders: { fetchedAt: clock - options.offsets.orders, fetches: 1, sawRevocation: false },
    inventory: { fetchedAt: clock - options.offsets.inventory, fetches: 1, sawRevocation: false },
  }
  const call = async (api: Api) => {
    const s = state[api]
    if (clock - s.fetchedAt >= options.ttl * 1000) {
      s.fetchedAt = clock
      s.fetches++
      s.sawRevocation = revokedAt !== undefined
    }
    return s.sawRevocation ? REVOKED : OK
  }
  return {
    call,
    revoke: async () => {
      revokedAt = clock
      return options.revokeOk ?? true
    },
    listFetches: async (api: Api) => state[api].fetches,
    now: () => clock,
    sleep: async (ms: number) => {
      clock += ms
    },
  }
}

const tokens = { orders: 'o', inventory: 'i' }

describe('revoke now', () => {
  it('records the revocation, each next list fetch and each first refusal, within ttl', async () => {
    const sim = simulate({ ttl: 5, offsets: { orders: 1000, inventory: 3000 } })
    const run = await revocationExperiment({ tokens, ttl: 5, ...sim })
    expect(run.ok).toBe(true)
    // orders-api fetched 1 s before the revocation, so it sees it 4 s after; inventory-api 2 s after.
    expect(run.refusedAfterMs).toEqual({ orders: 4000, inventory: 2000 })
    expect(run.fetches).toEqual({ orders: { before: 1, after: 2 }, inventory: { before: 1, after: 2 } })
    expect(run.requests).toEqual({ orders: 21, inventory: 11 })
    expect(run.timeline.map((e) => [e.atMs, e.api, e.kind])).toEqual([
      [0, 'auth-server', 'revoked'],
      [2000, 'inventory', 'list_fetch'],
      [2000, 'inventory', 'refused'],
      [4000, 'orders', 'list_fetch'],
      [4000, 'orders', 'refused'],
    ])
    expect(run.explanation).toContain(
      'orders-api refused it 4.0 s after the revocation, having fetched the list 1 time(s) while answering 21 request(s)',
    )
  })

  it('is not as explained when an API fetches the list per request', async () => {
    const sim = simulate({ ttl: 5, offsets: { orders: 1000, inventory: 3000 } })
    let ordersRequests = 0
    const run = await revocationExperiment({
      tokens,
      ttl: 5,
      ...sim,
      call: async (api) => {
        if (api === 'orders') ordersRequests++
        return sim.call(api)
      },
      // orders-api's counter climbs with every request: it is asking the auth-server each time.
      listFetches: async (api) => (api === 'orders' ? ordersRequests : sim.listFetches(api)),
    })
    expect(run.refusedAfterMs.orders).toBe(4000)
    expect(run.ok).toBe(false)
    expect(run.explanation).toMatch(/^Expected one status-list fetch per ttl \(5 s\) per API, at most 2/)
  })

  it('is not as explained when an API still accepts the token after ttl + margin', async () => {
    const sim = simulate({ ttl: 5, offsets: { orders: 0, inventory: 0 } })
    // A cache that ignores the ttl: inventory-api never refetches.
    const run = await revocationExperiment({
      tokens,
      ttl: 5,
      ...sim,
      call: async (api) => (api === 'inventory' ? OK : sim.call(api)),
    })
    expect(run.ok).toBe(false)
    expect(run.refusedAfterMs.inventory).toBeUndefined()
    expect(run.explanation).toContain('inventory-api refused it never after the revocation')
  })

  it('is not as explained when the revocation is refused, and then calls nothing more', async () => {
    const sim = simulate({ ttl: 5, offsets: { orders: 0, inventory: 0 }, revokeOk: false })
    const run = await revocationExperiment({ tokens, ttl: 5, ...sim })
    expect(run).toMatchObject({ ok: false, explanation: 'The auth-server did not accept the revocation.' })
    expect(run.requests).toEqual({ orders: 0, inventory: 0 })
  })

  it('reads the list reference of an access token and the ttl of a list token', () => {
    const uri = 'http://localhost:4000/status-lists/1'
    expect(statusListOf(jwt({ status: { status_list: { idx: 3, uri } } }))).toBe(uri)
    expect(statusListOf(jwt({ sub: 'x' }))).toBeUndefined()
    expect(listTtl(`${jwt({ ttl: 5, sub: uri })}\n`)).toBe(5)
    expect(listTtl(jwt({ sub: uri }))).toBeUndefined()
    expect(listTtl('not a jwt')).toBeUndefined()
  })
})
