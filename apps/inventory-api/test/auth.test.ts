import { expectBearerChallenge, harnessPerTest } from '@stateless-auth/resource-server/testing'
import { describe, expect, it } from 'vitest'
import { bearer, type Harness, harness } from './helper.js'

describe('who may call inventory-api', () => {
  const h = harnessPerTest(harness)

  it('asks for a Bearer or DPoP token when none is sent (RFC 6750 §3.1, RFC 9449 §7.1: no error attribute)', async () => {
    expectBearerChallenge(await h().app.inject({ url: '/inventory' }), 'inventory-api')
  })

  it('refuses a token issued for orders-api with 401 invalid_token', async () => {
    const token = await h().issuer.token({ aud: 'urn:stateless-auth:orders-api', scope: 'inventory:read' })
    const res = await h().app.inject({ url: '/inventory', headers: bearer(token) })
    expectBearerChallenge(res, 'inventory-api', 'invalid_token')
  })

  it('answers 403 insufficient_scope naming the missing scope', async () => {
    const res = await h().app.inject({
      method: 'POST',
      url: '/inventory/gadget/reserve',
      headers: bearer(await h().serviceToken('inventory:read')),
      payload: { quantity: 1 },
    })
    expectBearerChallenge(res, 'inventory-api', 'insufficient_scope', 'inventory:write')
  })

  it('lets a user token read stock but not reserve it', async () => {
    const token = await h().issuer.token({ sub: 'alice', client_id: 'web', scope: 'inventory:read' })
    expect((await h().app.inject({ url: '/inventory', headers: bearer(token) })).statusCode).toBe(200)
    const reserve = await h().app.inject({
      method: 'POST',
      url: '/inventory/gadget/reserve',
      headers: bearer(token),
      payload: { quantity: 1 },
    })
    expect(reserve.statusCode).toBe(403)
  })

  it.each([
    [
      'an ID token (typ JWT)',
      async (h: Harness) => h.issuer.token({ scope: 'inventory:read' }, { typ: 'JWT' }),
    ],
    [
      'a token signed by an unpublished key',
      async (h: Harness) => h.issuer.token({ scope: 'inventory:read' }, { key: await h.issuer.createKey() }),
    ],
    [
      'an expired token',
      async (h: Harness) => h.issuer.token({ scope: 'inventory:read' }, { expiresIn: -120 }),
    ],
    [
      'a token without jti',
      async (h: Harness) => h.issuer.token({ scope: 'inventory:read', jti: undefined }),
    ],
    ['a token from another issuer', async (h: Harness) => h.issuer.token({ iss: 'http://evil.example' })],
    ['garbage', async () => 'not.a.jwt'],
  ])('refuses %s with 401 invalid_token', async (_, make) => {
    const res = await h().app.inject({ url: '/inventory', headers: bearer(await make(h())) })
    expectBearerChallenge(res, 'inventory-api', 'invalid_token')
  })
})
