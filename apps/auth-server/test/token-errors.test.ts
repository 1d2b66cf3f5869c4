import { describe, expect, it } from 'vitest'
import {
  basic,
  expectOAuthError,
  fakeClock,
  obtainCode,
  post,
  redeem,
  redeemedCode,
  start,
} from './helpers.js'

describe('the token endpoint refuses bad requests (RFC 6749 §5.2)', () => {
  it('refuses a replayed code and revokes every token issued from it', async () => {
    const { server, code, tokens } = await redeemedCode()
    const replay = await redeem(server.url, code)
    const body = await expectOAuthError(replay, 400, 'invalid_grant')
    expect(body.error_description).toMatch(/already used/)

    // The refresh token from the first redemption is dead, and the access token introspects as inactive.
    await expectOAuthError(
      await post(
        `${server.url}/token`,
        { grant_type: 'refresh_token', refresh_token: tokens.refresh_token },
        basic('web', 'web-secret'),
      ),
      400,
      'invalid_grant',
    )
    const introspection = await post(
      `${server.url}/introspect`,
      { token: tokens.access_token },
      basic('web', 'web-secret'),
    )
    expect(await introspection.json()).toEqual({ active: false })
  })

  it('refuses a wrong, missing or malformed code_verifier', async () => {
    const server = await start()
    const wrong = await obtainCode(server.url)
    const other = 'x'.repeat(43)
    await expectOAuthError(await redeem(server.url, { ...wrong, verifier: other }), 400, 'invalid_grant')
    // A failed PKCE check burns the code: the right verifier no longer helps an attacker who raced for it.
    await expectOAuthError(await redeem(server.url, wrong), 400, 'invalid_grant')

    const missing = await obtainCode(server.url)
    await expectOAuthError(
      await post(
        `${server.url}/token`,
        { grant_type: 'authorization_code', code: missing.code, redirect_uri: missing.redirectUri },
        basic('web', 'web-secret'),
      ),
      400,
      'invalid_request',
    )
    await expectOAuthError(
      await redeem(server.url, { ...missing, verifier: 'short' }),
      400,
      'invalid_request',
    )
    // The code survived the malformed attempts and still works with its verifier.
    expect((await redeem(server.url, missing)).status).toBe(200)
  })

  it('binds the code to its redirect URI and client', async () => {
    const server = await start()
    const code = await obtainCode(server.url)
    await expectOAuthError(
      await redeem(server.url, { ...code, redirectUri: 'http://localhost:3000/other' }),
      400,
      'invalid_grant',
    )
    const cliCode = await obtainCode(server.url, {
      clientId: 'demo-cli',
      redirectUri: 'http://127.0.0.1:7000/callback',
      scope: 'orders:read',
    })
    // Redeemed by another (authenticated) client: refused.
    await expectOAuthError(await redeem(server.url, cliCode), 400, 'invalid_grant')
  })

  it('expires codes after 60 seconds', async () => {
    const clock = fakeClock()
    const server = await start({}, { now: clock.now })
    const code = await obtainCode(server.url)
    clock.advance(61)
    const body = await expectOAuthError(await redeem(server.url, code), 400, 'invalid_grant')
    expect(body.error_description).toMatch(/expired/)
  })

  it('authenticates clients: wrong secret, unknown client, two methods at once', async () => {
    const server = await start()
    const form = { grant_type: 'client_credentials' }
    const wrong = await post(`${server.url}/token`, form, basic('orders-api', 'nope'))
    await expectOAuthError(wrong, 401, 'invalid_client')
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic/)
    await expectOAuthError(
      await post(`${server.url}/token`, { ...form, client_id: 'orders-api', client_secret: 'nope' }),
      401,
      'invalid_client',
    )
    await expectOAuthError(
      await post(`${server.url}/token`, form, basic('ghost', 'x')),
      401,
      'invalid_client',
    )
    await expectOAuthError(await post(`${server.url}/token`, form), 401, 'invalid_client')
    await expectOAuthError(
      await post(
        `${server.url}/token`,
        { ...form, client_secret: 'orders-api-secret' },
        basic('orders-api', 'orders-api-secret'),
      ),
      400,
      'invalid_request',
    )
    // A confidential client cannot pretend to be public by leaving its secret out.
    await expectOAuthError(
      await post(`${server.url}/token`, { ...form, client_id: 'web' }),
      401,
      'invalid_client',
    )
    await expectOAuthError(
      await post(`${server.url}/token`, form, { authorization: 'Basic !!!' }),
      401,
      'invalid_client',
    )
    // RFC 6749 §5.2: whoever tried Basic, even with nothing after the scheme, gets the Basic challenge.
    const bare = await post(`${server.url}/token`, form, { authorization: 'Basic' })
    expect(bare.headers.get('www-authenticate')).toMatch(/^Basic/)
    await expectOAuthError(bare, 401, 'invalid_client')
  })

  it('marks every answer no-store and no-cache, even errors raised before the handler (RFC 6749 §5.1)', async () => {
    const server = await start({ RATE_LIMIT_TOKEN_MAX: '3' })
    const auth = basic('orders-api', 'orders-api-secret')
    const answers = [
      await post(`${server.url}/token`, { grant_type: 'client_credentials' }, auth),
      await fetch(`${server.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: '{}',
      }),
      await fetch(`${server.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth },
        body: `pad=${'a'.repeat(20_000)}`,
      }),
      await post(`${server.url}/token`, { grant_type: 'client_credentials' }, auth),
    ]
    expect(answers.map((r) => r.status)).toEqual([200, 400, 413, 429])
    for (const response of answers) {
      expect(response.headers.get('cache-control'), String(response.status)).toBe('no-store')
      expect(response.headers.get('pragma'), String(response.status)).toBe('no-cache')
    }
    const introspection = await fetch(`${server.url}/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    expect(introspection.headers.get('pragma')).toBe('no-cache')
  })

  it('refuses unknown grant types and grants the client may not use', async () => {
    const server = await start()
    const web = basic('web', 'web-secret')
    const cases: Array<[form: Record<string, string>, client: Record<string, string>, error: string]> = [
      [{ grant_type: 'password', username: 'alice', password: 'x' }, web, 'unsupported_grant_type'],
      [{ grant_type: 'implicit' }, web, 'unsupported_grant_type'],
      [{}, web, 'invalid_request'],
      [{ grant_type: 'client_credentials' }, web, 'unauthorized_client'],
      [
        { grant_type: 'authorization_code', code: 'x', code_verifier: 'y', redirect_uri: 'z' },
        basic('orders-api', 'orders-api-secret'),
        'unauthorized_client',
      ],
      [{ grant_type: '__proto__' }, web, 'unsupported_grant_type'],
    ]
    for (const [form, client, error] of cases) {
      await expectOAuthError(await post(`${server.url}/token`, form, client), 400, error)
    }
  })

  it('reads a POST without a body as an empty form: the client is authenticated first, then parameters', async () => {
    const server = await start()
    for (const path of ['/token', '/revoke', '/introspect']) {
      const anonymous = await fetch(`${server.url}${path}`, { method: 'POST' })
      await expectOAuthError(anonymous, 401, 'invalid_client')
    }
    const authenticated = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: basic('orders-api', 'orders-api-secret'),
    })
    const body = await expectOAuthError(authenticated, 400, 'invalid_request')
    expect(body.error_description).toBe('grant_type is required')
  })

  it('answers malformed and oversized requests with a 4xx in OAuth JSON, never a 500', async () => {
    const server = await start()
    const auth = basic('orders-api', 'orders-api-secret')
    const json = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    })
    await expectOAuthError(json, 400, 'invalid_request')
    const noType = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: auth,
      body: 'grant_type=client_credentials',
    })
    expect(noType.status).toBeGreaterThanOrEqual(400)
    expect(noType.status).toBeLessThan(500)
    await expectOAuthError(
      await post(`${server.url}/token`, { grant_type: 'client_credentials', scope: 'x'.repeat(5000) }, auth),
      400,
      'invalid_request',
    )
    const huge = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth },
      body: `grant_type=client_credentials&pad=${'a'.repeat(100_000)}`,
    })
    await expectOAuthError(huge, 413, 'invalid_request')
    const duplicated = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth },
      body: 'grant_type=client_credentials&grant_type=client_credentials',
    })
    await expectOAuthError(duplicated, 400, 'invalid_request')
    const broken = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth },
      body: '%%%&&&===',
    })
    expect(broken.status).toBe(400)
    for (const url of ['/revoke', '/introspect', '/userinfo']
      .map((path) => `${server.url}${path}`)
      .concat(`${server.adminUrl}/admin/keys/rotate`)) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: '\u0000',
      })
      expect(response.status, url).toBeGreaterThanOrEqual(400)
      expect(response.status, url).toBeLessThan(500)
      expect(await response.json()).toMatchObject({ error: expect.any(String) })
    }
  })
})
