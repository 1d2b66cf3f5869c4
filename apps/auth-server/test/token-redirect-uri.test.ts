import * as client from 'openid-client'
import { describe, expect, it } from 'vitest'
import {
  authorizeUrl,
  Browser,
  basic,
  expectOAuthError,
  obtainCode,
  post,
  redeem,
  redeemedCode,
  start,
  WEB_REDIRECT,
} from './helpers.js'

/** The code flow for the web client (one registered redirect URI) with redirect_uri left out of /authorize. */
async function codeWithoutRedirectUri(url: string) {
  const verifier = client.randomPKCECodeVerifier()
  const authorize = await authorizeUrl(
    url,
    { redirect_uri: null, scope: 'openid orders:read', state: 'state-1' },
    verifier,
  )
  // Through the login form: the request travels back to /authorize and must still lack redirect_uri.
  const callback = await new Browser().authorize(authorize)
  expect(`${callback.origin}${callback.pathname}`).toBe(WEB_REDIRECT)
  const code = callback.searchParams.get('code')
  if (!code) throw new Error(`no code in ${callback}`)
  return { code, verifier }
}

/** A token request as the web client, with redirect_uri only when given. */
function redeemWith(url: string, code: { code: string; verifier: string }, redirectUri?: string) {
  return post(
    `${url}/token`,
    {
      grant_type: 'authorization_code',
      code: code.code,
      code_verifier: code.verifier,
      ...(redirectUri === undefined ? {} : { redirect_uri: redirectUri }),
    },
    basic('web', 'web-secret'),
  )
}

describe('redirect_uri at the token endpoint (RFC 6749 §4.1.3)', () => {
  it('may be left out when the authorization request left it out', async () => {
    const server = await start()
    const code = await codeWithoutRedirectUri(server.url)
    const response = await redeemWith(server.url, code)
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String) })
  })

  it('may then be sent, identical to the registered URI the code was issued for', async () => {
    const server = await start()
    const code = await codeWithoutRedirectUri(server.url)
    expect((await redeemWith(server.url, code, WEB_REDIRECT)).status).toBe(200)
  })

  it('is refused when it differs, even if the authorization request left it out', async () => {
    const server = await start()
    const code = await codeWithoutRedirectUri(server.url)
    await expectOAuthError(
      await redeemWith(server.url, code, 'http://localhost:3000/other'),
      400,
      'invalid_grant',
      /does not match/,
    )
    // The mismatch burnt the code, as any mismatch with a code that may have been stolen does.
    await expectOAuthError(await redeemWith(server.url, code), 400, 'invalid_grant', /already used/)
  })

  it('is required when the authorization request included it: invalid_request, and the code survives', async () => {
    const server = await start()
    const code = await obtainCode(server.url)
    await expectOAuthError(
      await redeemWith(server.url, code),
      400,
      'invalid_request',
      /redirect_uri is required/,
    )
    await expectOAuthError(
      await redeemWith(server.url, code, ''),
      400,
      'invalid_request',
      /redirect_uri is required/,
    )
    expect((await redeem(server.url, code)).status).toBe(200)
  })

  it('does not let a replay without redirect_uri escape replay detection', async () => {
    const {
      server,
      code,
      tokens: { refresh_token },
    } = await redeemedCode()
    await expectOAuthError(await redeemWith(server.url, code), 400, 'invalid_grant', /already used/)
    // The replay revoked what the code issued (RFC 9700 §4.5).
    const refreshed = await post(
      `${server.url}/token`,
      { grant_type: 'refresh_token', refresh_token },
      basic('web', 'web-secret'),
    )
    expect(refreshed.status).toBe(400)
  })
})
