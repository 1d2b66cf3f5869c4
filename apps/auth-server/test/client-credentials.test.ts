import * as client from 'openid-client'
import { describe, expect, it } from 'vitest'
import { basic, discover, INVENTORY, ORDERS, post, start, verifyAccessToken } from './helpers.js'

describe('client credentials: orders-api calling inventory-api', () => {
  it('issues an inventory-api token whose subject is the client (openid-client clientCredentialsGrant)', async () => {
    const server = await start()
    const config = await discover(server.url, 'orders-api', 'orders-api-secret')
    const tokens = await client.clientCredentialsGrant(config, { scope: 'inventory:write' })
    expect(tokens.refresh_token).toBeUndefined()
    expect(tokens.scope).toBe('inventory:write')
    const { payload, protectedHeader } = await verifyAccessToken(server.url, tokens.access_token, INVENTORY)
    expect(protectedHeader.typ).toBe('at+jwt')
    expect(payload).toMatchObject({
      sub: 'orders-api',
      client_id: 'orders-api',
      aud: INVENTORY,
      scope: 'inventory:write',
    })
    expect(payload.auth_time).toBeUndefined()
  })

  it('defaults to every allowed scope and works with client_secret_post', async () => {
    const server = await start()
    const response = await post(`${server.url}/token`, {
      grant_type: 'client_credentials',
      client_id: 'orders-api',
      client_secret: 'orders-api-secret',
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(response.headers.get('pragma')).toBe('no-cache')
    const body = (await response.json()) as { scope: string; token_type: string; expires_in: number }
    expect(body).toMatchObject({
      scope: 'inventory:read inventory:write',
      token_type: 'Bearer',
      expires_in: 300,
    })
  })

  it('refuses scopes and resources the client is not allowed', async () => {
    const server = await start()
    const auth = basic('orders-api', 'orders-api-secret')
    const scope = await post(
      `${server.url}/token`,
      { grant_type: 'client_credentials', scope: 'orders:read' },
      auth,
    )
    expect(await scope.json()).toMatchObject({ error: 'invalid_scope' })
    const target = await post(
      `${server.url}/token`,
      { grant_type: 'client_credentials', resource: ORDERS },
      auth,
    )
    expect(target.status).toBe(400)
    expect(await target.json()).toMatchObject({ error: 'invalid_target' })
  })
})
