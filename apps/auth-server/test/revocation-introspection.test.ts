import * as client from 'openid-client'
import { describe, expect, it } from 'vitest'
import { basic, discover, fakeClock, INVENTORY, ORDERS, post, refresh, signIn, start } from './helpers.js'

describe('revocation (RFC 7009) and introspection (RFC 7662)', () => {
  it('introspects an active access token with its claims, for the client it was issued to', async () => {
    const server = await start()
    const config = await discover(server.url)
    const { tokens } = await signIn(config)
    const result = await client.tokenIntrospection(config, tokens.access_token)
    expect(result).toMatchObject({
      active: true,
      token_type: 'Bearer',
      client_id: 'web',
      sub: 'alice',
      username: 'alice',
      aud: [ORDERS, `${server.url}/userinfo`],
      iss: server.url,
      scope: 'openid profile offline_access orders:read',
    })
    const refreshInfo = await client.tokenIntrospection(config, tokens.refresh_token!, {
      token_type_hint: 'refresh_token',
    })
    expect(refreshInfo).toMatchObject({
      active: true,
      token_type: 'refresh_token',
      client_id: 'web',
      sub: 'alice',
    })
  })

  it('lets a resource server introspect tokens meant for it, and nothing else', async () => {
    const server = await start()
    const { tokens } = await signIn(await discover(server.url))
    // orders-api stands for urn:stateless-auth:orders-api, the token's audience.
    const asOrders = await client.tokenIntrospection(
      await discover(server.url, 'orders-api', 'orders-api-secret'),
      tokens.access_token,
    )
    expect(asOrders).toMatchObject({ active: true, aud: [ORDERS, `${server.url}/userinfo`] })
    const inventoryToken = await client.clientCredentialsGrant(
      await discover(server.url, 'orders-api', 'orders-api-secret'),
    )
    const asWeb = await client.tokenIntrospection(await discover(server.url), inventoryToken.access_token)
    expect(asWeb).toEqual({ active: false })
    const asIssuedTo = await post(
      `${server.url}/introspect`,
      { token: inventoryToken.access_token },
      basic('orders-api', 'orders-api-secret'),
    )
    expect(await asIssuedTo.json()).toMatchObject({ active: true, aud: INVENTORY, sub: 'orders-api' })
    // Public clients may not introspect at all.
    const publicClient = await post(`${server.url}/introspect`, {
      token: tokens.access_token,
      client_id: 'demo-cli',
    })
    expect(publicClient.status).toBe(401)
    expect(await publicClient.json()).toMatchObject({ error: 'invalid_client' })
  })

  it('answers active:false for unknown, garbage, expired and foreign-signed tokens', async () => {
    const clock = fakeClock()
    const server = await start({}, { now: clock.now })
    const config = await discover(server.url)
    for (const token of ['nope', 'a.b.c', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', 'x'.repeat(2000)]) {
      expect(await client.tokenIntrospection(config, token)).toEqual({ active: false })
    }
    const other = await start()
    const foreign = await client.clientCredentialsGrant(
      await discover(other.url, 'orders-api', 'orders-api-secret'),
    )
    expect(await client.tokenIntrospection(config, foreign.access_token)).toEqual({ active: false })

    const { tokens } = await signIn(config)
    clock.advance(301)
    expect(await client.tokenIntrospection(config, tokens.access_token)).toEqual({ active: false })
  })

  it('revokes an access token by its jti: introspection and userinfo then refuse it', async () => {
    const server = await start()
    const config = await discover(server.url)
    const { tokens } = await signIn(config, { resource: `${server.url}/userinfo` })
    const userinfo = () =>
      fetch(`${server.url}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })
    expect((await userinfo()).status).toBe(200)
    await client.tokenRevocation(config, tokens.access_token, { token_type_hint: 'access_token' })
    expect(await client.tokenIntrospection(config, tokens.access_token)).toEqual({ active: false })
    expect((await userinfo()).status).toBe(401)
    // Revoking an access token leaves the refresh token alone.
    expect((await refresh(server.url, tokens.refresh_token!)).status).toBe(200)
  })

  it('revokes a refresh token with its whole grant, including the access tokens issued from it', async () => {
    const server = await start()
    const config = await discover(server.url)
    const { tokens } = await signIn(config)
    await client.tokenRevocation(config, tokens.refresh_token!)
    expect(await client.tokenIntrospection(config, tokens.refresh_token!)).toEqual({ active: false })
    expect(await client.tokenIntrospection(config, tokens.access_token)).toEqual({ active: false })
    const response = await refresh(server.url, tokens.refresh_token!)
    expect(await response.json()).toMatchObject({ error: 'invalid_grant' })
  })

  it('answers 200 for unknown tokens and for tokens of another client, which stay valid', async () => {
    const server = await start()
    const config = await discover(server.url)
    const { tokens } = await signIn(config)
    expect(
      (await post(`${server.url}/revoke`, { token: 'never-issued' }, basic('web', 'web-secret'))).status,
    ).toBe(200)
    const byOther = await post(`${server.url}/revoke`, {
      token: tokens.refresh_token!,
      client_id: 'demo-cli',
    })
    expect(byOther.status).toBe(200)
    expect(await client.tokenIntrospection(config, tokens.refresh_token!)).toMatchObject({ active: true })
    const unauthenticated = await post(
      `${server.url}/revoke`,
      { token: tokens.refresh_token! },
      basic('web', 'wrong'),
    )
    expect(unauthenticated.status).toBe(401)
    const missing = await post(`${server.url}/revoke`, {}, basic('web', 'web-secret'))
    expect(await missing.json()).toMatchObject({ error: 'invalid_request' })
  })
})
