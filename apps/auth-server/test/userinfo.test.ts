import * as client from 'openid-client'
import { describe, expect, it } from 'vitest'
import { admin, discover, post, signIn, start } from './helpers.js'

describe('userinfo (OpenID Connect Core §5.3) and the ID token', () => {
  it('returns the profile for an access token with openid (openid-client fetchUserInfo)', async () => {
    const server = await start()
    const config = await discover(server.url)
    const { tokens } = await signIn(config)
    const info = await client.fetchUserInfo(config, tokens.access_token, 'alice')
    expect(info).toEqual({ sub: 'alice', name: 'Alice Example', preferred_username: 'alice' })
    // RFC 6750 §2.2: the form-body form works too.
    const viaBody = await post(`${server.url}/userinfo`, { access_token: tokens.access_token })
    expect(await viaBody.json()).toMatchObject({ sub: 'alice' })
  })

  it('refuses tokens without openid (403 insufficient_scope) and bad tokens (401 invalid_token)', async () => {
    const server = await start()
    const config = await discover(server.url)
    const { tokens } = await signIn(config, { scope: 'orders:read' })
    const noOpenid = await fetch(`${server.url}/userinfo`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
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
    const oidc = await signIn(config)
    const withIdToken = await fetch(`${server.url}/userinfo`, {
      headers: { authorization: `Bearer ${oidc.tokens.id_token}` },
    })
    expect(withIdToken.status).toBe(401)
  })

  it('stops answering for a disabled user', async () => {
    const server = await start()
    const config = await discover(server.url)
    const { tokens } = await signIn(config, { username: 'bob' })
    expect((await admin(server.url, '/admin/users/bob/disable')).status).toBe(200)
    const response = await fetch(`${server.url}/userinfo`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    })
    expect(response.status).toBe(401)
  })
})
