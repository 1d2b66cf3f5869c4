import { decodeJwt } from 'jose'
import * as client from 'openid-client'
import { describe, expect, it } from 'vitest'
import {
  admin,
  codeTokens,
  discover,
  INVENTORY,
  ORDERS,
  post,
  refresh,
  signIn,
  start,
  verifyAccessToken,
} from './helpers.js'

/** The userinfo endpoint is a resource of its own (RFC 8707): a token for it is asked for by `resource`. */
const userinfoResource = (url: string) => `${url}/userinfo`

async function userinfoToken(config: client.Configuration, url: string, refreshToken: string) {
  return client.refreshTokenGrant(config, refreshToken, { resource: userinfoResource(url) })
}

describe('userinfo (OpenID Connect Core §5.3) and the ID token', () => {
  it('returns the profile for an access token meant for it (openid-client fetchUserInfo)', async () => {
    const server = await start()
    const config = await discover(server.url)
    const { tokens } = await signIn(config)
    const forUserinfo = await userinfoToken(config, server.url, tokens.refresh_token!)
    const info = await client.fetchUserInfo(config, forUserinfo.access_token, 'alice')
    expect(info).toEqual({ sub: 'alice', name: 'Alice Example', preferred_username: 'alice' })
    // RFC 6750 §2.2: the form-body form works too.
    const viaBody = await post(`${server.url}/userinfo`, { access_token: forUserinfo.access_token })
    expect(await viaBody.json()).toMatchObject({ sub: 'alice' })
    // The resource may also be named in the authorization request and at the code exchange.
    const direct = await signIn(config, { resource: userinfoResource(server.url) })
    expect(await client.fetchUserInfo(config, direct.tokens.access_token, 'alice')).toMatchObject({
      sub: 'alice',
    })
  })

  it('accepts the token a standard OpenID Connect sign-in got for its API (issue 12, item 15)', async () => {
    // openid profile offline_access orders:read and no resource: the token is for orders-api, and with openid
    // granted its aud also names the userinfo endpoint. Audience separation between the APIs stays.
    const server = await start()
    const config = await discover(server.url)
    const { tokens } = await signIn(config)
    expect(decodeJwt(tokens.access_token).aud).toEqual([ORDERS, userinfoResource(server.url)])
    expect(await client.fetchUserInfo(config, tokens.access_token, 'alice')).toEqual({
      sub: 'alice',
      name: 'Alice Example',
      preferred_username: 'alice',
    })
    await verifyAccessToken(server.url, tokens.access_token, ORDERS)
    await expect(verifyAccessToken(server.url, tokens.access_token, INVENTORY)).rejects.toThrow(/aud/)
  })

  it('refuses an access token meant for another audience, as a resource server would (RFC 9068 §4)', async () => {
    const server = await start()
    // Without openid the token names only orders-api.
    const tokens = await codeTokens(server.url, { scope: 'orders:read' })
    const forOrders = await fetch(`${server.url}/userinfo`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    })
    expect(forOrders.status).toBe(401)
    expect(forOrders.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/)
    expect(await forOrders.json()).toEqual({
      error: 'invalid_token',
      error_description: expect.stringMatching(/not meant for the userinfo endpoint/),
    })
  })

  it('grants the userinfo resource only with openid', async () => {
    const server = await start()
    const tokens = await codeTokens(server.url, { scope: 'orders:read offline_access' })
    const response = await refresh(server.url, tokens.refresh_token, {
      resource: userinfoResource(server.url),
    })
    expect(await response.json()).toMatchObject({ error: 'invalid_target' })
    const { access_token } = await codeTokens(
      server.url,
      { scope: 'openid orders:read' },
      { resource: userinfoResource(server.url) },
    )
    expect(decodeJwt(access_token).aud).toBe(userinfoResource(server.url))
  })

  it('refuses tokens without openid (403 insufficient_scope) and bad tokens (401 invalid_token)', async () => {
    const server = await start()
    const config = await discover(server.url)
    const { tokens } = await signIn(config)
    // Narrowed at refresh: meant for userinfo, but without the openid scope.
    const narrowed = await client.refreshTokenGrant(config, tokens.refresh_token!, {
      resource: userinfoResource(server.url),
      scope: 'orders:read',
    })
    const noOpenid = await fetch(`${server.url}/userinfo`, {
      headers: { authorization: `Bearer ${narrowed.access_token}` },
    })
    expect(noOpenid.status).toBe(403)
    expect(noOpenid.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="openid"')

    const none = await fetch(`${server.url}/userinfo`)
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toBe('Bearer')
    const bad = await fetch(`${server.url}/userinfo`, { headers: { authorization: 'Bearer not-a-token' } })
    expect(bad.status).toBe(401)
    expect(bad.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/)
    expect(await bad.json()).toMatchObject({ error: 'invalid_token' })

    // The ID token is typ JWT with the client as audience: it is not an access token here either.
    const withIdToken = await fetch(`${server.url}/userinfo`, {
      headers: { authorization: `Bearer ${tokens.id_token}` },
    })
    expect(withIdToken.status).toBe(401)
  })

  it('stops answering for a disabled user', async () => {
    const server = await start()
    const config = await discover(server.url)
    const { tokens } = await signIn(config, { username: 'bob' })
    const forUserinfo = await userinfoToken(config, server.url, tokens.refresh_token!)
    const before = await fetch(`${server.url}/userinfo`, {
      headers: { authorization: `Bearer ${forUserinfo.access_token}` },
    })
    expect(before.status).toBe(200)
    expect((await admin(server.adminUrl, '/admin/users/bob/disable')).status).toBe(200)
    const response = await fetch(`${server.url}/userinfo`, {
      headers: { authorization: `Bearer ${forUserinfo.access_token}` },
    })
    expect(response.status).toBe(401)
  })
})
