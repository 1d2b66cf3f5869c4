import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inject, type Stack, startStack } from './helpers/stack.js'

describe('the callback and the JSON routes refuse what they must', () => {
  let stack: Stack
  beforeAll(async () => {
    stack = await startStack()
  })
  afterAll(() => stack?.close())

  it('sends the browser to the public authorize endpoint with PKCE S256, state and both resources', async () => {
    const res = await inject(stack, { method: 'GET', url: '/login' })
    expect(res.statusCode).toBe(302)
    const url = new URL(res.headers.location as string)
    expect(`${url.origin}${url.pathname}`).toBe(`${stack.issuer}/authorize`)
    expect(url.searchParams.get('code_challenge_method')).toBe('S256')
    expect(url.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/)
    expect(url.searchParams.get('state')).toBeTruthy()
    expect(url.searchParams.get('redirect_uri')).toBe(`${stack.webUrl}/auth/callback`)
    expect(url.searchParams.getAll('resource')).toEqual([
      'urn:stateless-auth:orders-api',
      'urn:stateless-auth:inventory-api',
    ])
    const cookies = [res.headers['set-cookie']].flat().join('\n')
    expect(cookies).toMatch(/oauth2-redirect-state=.*HttpOnly.*SameSite=Lax/)
    expect(cookies).toMatch(/oauth2-code-verifier=/)
  })

  it('refuses an authorization response from another issuer (RFC 9207 mix-up defence)', async () => {
    const res = await inject(stack, {
      url: '/auth/callback?code=abc&state=xyz&iss=http%3A%2F%2Fevil.example',
    })
    expect(res.statusCode).toBe(400)
    expect(res.headers['content-type']).toMatch(/text\/html/)
    expect(res.body).toContain(`authorization response from http://evil.example, expected ${stack.issuer}`)
  })

  it('refuses a response without iss, since the auth-server advertises that it sends one', async () => {
    const res = await inject(stack, { url: '/auth/callback?code=abc&state=xyz' })
    expect(res.statusCode).toBe(400)
    expect(res.body).toContain('authorization response from (none)')
  })

  it('refuses a state that does not match the cookie, and names an error the server sent', async () => {
    const iss = encodeURIComponent(stack.issuer)
    const forged = await inject(stack, { url: `/auth/callback?code=abc&state=xyz&iss=${iss}` })
    expect(forged.statusCode).toBe(400)
    expect(forged.body).toContain('sign-in failed: Invalid state')
    const denied = await inject(stack, {
      url: `/auth/callback?error=access_denied&error_description=the+user+said+no&state=xyz&iss=${iss}`,
    })
    expect(denied.statusCode).toBe(400)
    // A fixed message per code (issue 12, item 10): the sender's description is not shown.
    expect(denied.body).toContain('access_denied: You declined the request')
    expect(denied.body).not.toContain('the user said no')
  })

  // Each refusal of a JSON route: what is sent, then the status and body expected.
  const json = { 'content-type': 'application/json' }
  const refusals: Array<
    [string, { url: string; headers: Record<string, string>; body: string }, number, object?]
  > = [
    [
      'not signed in',
      { url: '/api/call/orders', headers: json, body: '{}' },
      401,
      { error: 'WEB_ERR_NOT_SIGNED_IN', error_description: 'sign in first' },
    ],
    ['a text body', { url: '/api/call/orders', headers: { 'content-type': 'text/plain' }, body: 'x' }, 415],
    // The sign-out form's parser is scoped to /logout: a form body anywhere else is still refused.
    [
      'a form body',
      {
        url: '/api/call/orders',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'a=1',
      },
      415,
    ],
    [
      'a cross-site origin',
      { url: '/api/call/orders', headers: { ...json, origin: 'http://evil.example' }, body: '{}' },
      403,
      { error: 'forbidden' },
    ],
    [
      'an unknown API',
      { url: '/api/call/payroll', headers: json, body: '{}' },
      400,
      { error: 'invalid_request' },
    ],
    [
      'an unknown experiment',
      { url: '/api/experiments/__proto__', headers: json, body: '{}' },
      404,
      { error: 'WEB_ERR_UNKNOWN_EXPERIMENT' },
    ],
    ['malformed JSON', { url: '/api/call/orders', headers: json, body: '{' }, 400],
  ]
  it.each(refusals)(
    'answers a JSON route with an OAuth-style error, never a 500: %s',
    async (_, request, status, body) => {
      const res = await inject(stack, { method: 'POST', ...request })
      expect(res.statusCode).toBe(status)
      if (body) expect(res.json()).toMatchObject(body)
    },
  )

  it('serves the page with a CSP that allows no inline script and no framing', async () => {
    const res = await inject(stack, { url: '/' })
    expect(res.statusCode).toBe(200)
    const csp = res.headers['content-security-policy'] as string
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).not.toContain('unsafe-inline')
    expect(res.body).not.toMatch(/<script>(?!<\/script>)/)
    expect(res.body).toContain('<svg class="diagram"')
    expect(res.body).toContain('href="/login"')
    const missing = await inject(stack, { url: '/nowhere' })
    expect(missing.statusCode).toBe(404)
    expect(missing.headers['content-type']).toMatch(/text\/html/)
  })

  it('ignores a session cookie whose signature does not verify', async () => {
    const res = await inject(stack, {
      method: 'POST',
      url: '/api/call/orders',
      headers: { 'content-type': 'application/json', cookie: 'sid=forged-session-id.bad-signature' },
      body: '{}',
    })
    expect(res.statusCode).toBe(401)
  })
})
