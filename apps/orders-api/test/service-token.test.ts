import { describe, expect, it } from 'vitest'
import { createTokenSource } from '../src/inventory/token-source.js'

// orders-api's own client-credentials token for inventory-api: how long it is reused, and when it is replaced.

function tokenEndpoint(expiresIn: number) {
  let issued = 0
  const fetch: typeof globalThis.fetch = async () => {
    issued++
    return Response.json({ access_token: `token-${issued}`, token_type: 'Bearer', expires_in: expiresIn })
  }
  return { fetch, issued: () => issued }
}

function source(expiresIn: number, clock: { now: number }) {
  const endpoint = tokenEndpoint(expiresIn)
  const tokens = createTokenSource({
    issuer: 'http://127.0.0.1:1',
    metadataUri: 'http://127.0.0.1:1/.well-known/oauth-authorization-server',
    tokenEndpoint: 'http://127.0.0.1:1/token',
    clientId: 'orders-api',
    clientSecret: 'secret',
    resource: 'urn:stateless-auth:inventory-api',
    scope: 'inventory:write',
    timeoutMs: 1000,
    fetch: endpoint.fetch,
    now: () => clock.now,
  })
  return { tokens, issued: endpoint.issued }
}

describe('service token cache', () => {
  // `pnpm demo` runs the auth-server with 10-second tokens: a fixed 30 s margin would make every order fetch one.
  it.each([
    { life: 300, lastReuse: 269_000, renewal: 271_000, rule: 'a 300 s token until 30 s before it expires' },
    {
      life: 10,
      lastReuse: 4_000,
      renewal: 5_000,
      rule: 'a token shorter-lived than the margin for half its life, instead of fetching one per call',
    },
  ])('reuses $rule', async ({ life, lastReuse, renewal }) => {
    const clock = { now: 0 }
    const { tokens, issued } = source(life, clock)
    expect(await tokens.get()).toBe('token-1')
    clock.now = lastReuse
    expect(await tokens.get()).toBe('token-1')
    expect(issued()).toBe(1)
    clock.now = renewal
    expect(await tokens.get()).toBe('token-2')
    expect(issued()).toBe(2)
  })

  it('shares one request among concurrent callers, and fetches anew after invalidate()', async () => {
    const clock = { now: 0 }
    const { tokens, issued } = source(300, clock)
    expect(await Promise.all([tokens.get(), tokens.get(), tokens.get()])).toEqual([
      'token-1',
      'token-1',
      'token-1',
    ])
    tokens.invalidate('token-1')
    tokens.invalidate('token-1')
    expect(await Promise.all([tokens.get(), tokens.get()])).toEqual(['token-2', 'token-2'])
    expect(issued()).toBe(2)
  })
})
