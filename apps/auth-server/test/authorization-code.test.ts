import { decodeProtectedHeader } from 'jose'
import * as client from 'openid-client'
import { describe, expect, it } from 'vitest'
import {
  authorizeUrl,
  Browser,
  discover,
  INVENTORY,
  ORDERS,
  obtainCode,
  signIn,
  start,
  verifyAccessToken,
} from './helpers.js'

describe('authorization code flow with PKCE, driven by openid-client', () => {
  it('discovers the server metadata (RFC 8414) and the OpenID configuration', async () => {
    const server = await start()
    const config = await discover(server.url)
    const metadata = config.serverMetadata()
    expect(metadata.issuer).toBe(server.url)
    expect(metadata.jwks_uri).toBe(`${server.url}/jwks`)
    expect(metadata.code_challenge_methods_supported).toEqual(['S256'])
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true)
    expect(metadata.grant_types_supported).toEqual([
      'authorization_code',
      'refresh_token',
      'client_credentials',
    ])
    const rfc8414 = await fetch(`${server.url}/.well-known/oauth-authorization-server`)
    expect(await rfc8414.json()).toEqual(metadata)
    expect(rfc8414.headers.get('cache-control')).toMatch(/max-age=\d+/)
  })

  it('signs alice in through the login form and issues RFC 9068 access, refresh and ID tokens', async () => {
    const server = await start()
    const config = await discover(server.url)
    const { tokens, callback } = await signIn(config)
    expect(callback.searchParams.get('iss')).toBe(server.url) // RFC 9207
    expect(tokens.token_type).toBe('bearer')
    expect(tokens.expires_in).toBe(300)
    expect(tokens.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(tokens.claims()).toMatchObject({
      iss: server.url,
      sub: 'alice',
      aud: 'web',
      name: 'Alice Example',
    })
    expect(decodeProtectedHeader(tokens.id_token!).typ).toBe('JWT')

    const { payload, protectedHeader } = await verifyAccessToken(server.url, tokens.access_token, ORDERS)
    expect(protectedHeader).toMatchObject({ typ: 'at+jwt', alg: 'RS256' })
    expect(protectedHeader.kid).toEqual(expect.any(String))
    expect(payload).toMatchObject({
      iss: server.url,
      sub: 'alice',
      // Issue 12, item 15: with openid the token also names the userinfo endpoint.
      aud: [ORDERS, `${server.url}/userinfo`],
      client_id: 'web',
      scope: 'openid profile offline_access orders:read',
    })
    expect(payload.jti).toEqual(expect.any(String))
    expect(payload.exp! - payload.iat!).toBe(300)
    expect(payload.auth_time).toBeLessThanOrEqual(payload.iat!)
  })

  it('issues the token for the requested resource (RFC 8707) and refuses unknown ones with invalid_target', async () => {
    const server = await start()
    const config = await discover(server.url)
    const { tokens } = await signIn(config, { resource: INVENTORY, scope: 'openid inventory:read' })
    const { payload } = await verifyAccessToken(server.url, tokens.access_token, INVENTORY)
    expect(payload.aud).toEqual([INVENTORY, `${server.url}/userinfo`])
    await expect(verifyAccessToken(server.url, tokens.access_token, ORDERS)).rejects.toThrow(/aud/)

    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: 'http://localhost:3000/auth/callback',
      scope: 'openid',
      code_challenge: client.randomPKCECodeVerifier().slice(0, 43),
      code_challenge_method: 'S256',
      resource: 'https://evil.example/api',
      state: 'abc',
    })
    const response = await fetch(url, { redirect: 'manual' })
    const location = new URL(response.headers.get('location')!)
    expect(location.searchParams.get('error')).toBe('invalid_target')
    expect(location.searchParams.get('state')).toBe('abc')
  })

  it('lets demo-cli, a public client, use any loopback port (RFC 8252 §7.3)', async () => {
    const server = await start()
    const config = await discover(server.url, 'demo-cli', null)
    const { tokens, browser } = await signIn(config, {
      redirectUri: 'http://127.0.0.1:53211/callback',
      scope: 'orders:read',
    })
    const { payload } = await verifyAccessToken(server.url, tokens.access_token, ORDERS)
    expect(payload).toMatchObject({ client_id: 'demo-cli', sub: 'alice' })
    expect(browser).toBeInstanceOf(Browser)
  })

  it('asks a public client for consent every time, remembered or not; deny returns access_denied', async () => {
    const server = await start()
    const config = await discover(server.url, 'demo-cli', null)
    const browser = new Browser()
    const build = async () =>
      client.buildAuthorizationUrl(config, {
        redirect_uri: 'http://127.0.0.1:6000/callback',
        scope: 'orders:read',
        code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
        state: 'st',
      })
    const denied = await browser.authorize(await build(), { consent: 'deny' })
    expect(denied.searchParams.get('error')).toBe('access_denied')
    expect(denied.searchParams.get('iss')).toBe(server.url)

    const first = await browser.request((await build()).toString())
    expect(first.status).toBe(200)
    const page = await first.text()
    expect(page).toContain('wants access to your account')
    const allowed = await browser.submit(server.url, page, { decision: 'allow' })
    expect(new URL(allowed.headers.get('location')!).searchParams.get('code')).toBeTruthy()

    // Issue 12, item 5 (RFC 8252 §8.6): remembered consent never makes a public native client silent. Any local
    // process can send demo-cli's client_id with its own loopback port; the user must see the consent page.
    const again = await browser.request(
      (await build()).toString().replace('127.0.0.1%3A6000', '127.0.0.1%3A31337'),
    )
    expect(again.status).toBe(200)
    expect(again.headers.get('content-type')).toMatch(/^text\/html/)
    expect(await again.text()).toContain('wants access to your account')
  })

  it('still answers a first-party confidential client (web) without a consent page', async () => {
    // The web client skips consent (first-party); the rule above is only for public clients.
    const server = await start()
    const { browser } = await obtainCode(server.url)
    const again = await browser.request(await authorizeUrl(server.url))
    expect(again.status).toBe(302)
    expect(new URL(again.headers.get('location')!).searchParams.get('code')).toBeTruthy()
  })
})
