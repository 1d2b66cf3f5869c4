import { describe, expect, it } from 'vitest'
import { inject, signedInStack } from './helpers/stack.js'
import { Jar, postJson, signIn } from './helpers/web-sign-in.js'

// Issue 12: the web app's part of what the adversarial review broke, each attack replayed over HTTP.

/** Three base64url segments, the first two JSON objects: a compact JWS (RFC 7515 §7.1). */
const JWS = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/

describe('web app hardening (issue 12)', () => {
  const suite = signedInStack({ LOG_LEVEL: 'info' })

  it('item 4: sign-out ends the auth-server session too; the next sign-in asks for the password', async () => {
    const auth = new Jar()
    const web = await signIn(suite.stack.webUrl, 'bob', 'demo-password', auth)
    // While the auth-server session lives, "Sign in" comes straight back with a code.
    const silent = await fetch(
      (await fetch(`${suite.stack.webUrl}/login`, { redirect: 'manual' })).headers.get('location')!,
      {
        redirect: 'manual',
        headers: { cookie: auth.header() },
      },
    )
    expect(silent.status).toBe(302)
    expect(new URL(silent.headers.get('location')!).searchParams.get('code')).toBeTruthy()

    const out = await fetch(`${suite.stack.webUrl}/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: web.header(), 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(out.status).toBe(303)
    const endSession = new URL(out.headers.get('location')!)
    expect(`${endSession.origin}${endSession.pathname}`).toBe(`${suite.stack.issuer}/logout`)
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${suite.stack.webUrl}/`)
    expect(endSession.searchParams.get('client_id')).toBe('web')
    expect(endSession.searchParams.get('id_token_hint')).toMatch(JWS)
    // The browser follows to the auth-server, which ends its session and sends it back to the web app.
    const ended = await fetch(endSession, { redirect: 'manual', headers: { cookie: auth.header() } })
    auth.take(ended)
    expect([302, 303]).toContain(ended.status)
    const back = new URL(ended.headers.get('location')!)
    expect(`${back.origin}${back.pathname}`).toBe(`${suite.stack.webUrl}/`)
    const page = await fetch(back)
    expect(await page.text()).toContain('You are signed out, here and at the auth-server')

    // "Sign in" again: the auth-server asks for the password instead of answering with a code.
    const again = await fetch(
      (await fetch(`${suite.stack.webUrl}/login`, { redirect: 'manual' })).headers.get('location')!,
      {
        redirect: 'manual',
        headers: { cookie: auth.header() },
      },
    )
    expect(again.status).toBe(200)
    expect(await again.text()).toContain('name="password"')
  })

  it('item 9: /logout refuses a request from another origin and keeps the session', async () => {
    const out = await fetch(`${suite.stack.webUrl}/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie: suite.jar.header(),
        origin: 'http://evil.example',
        'content-type': 'application/x-www-form-urlencoded',
      },
    })
    expect(out.status).toBe(403)
    expect(out.headers.get('set-cookie')).toBeNull()
    // What a browser sends for a cross-site form post under this app's Referrer-Policy: same-origin.
    const opaque = await fetch(`${suite.stack.webUrl}/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie: suite.jar.header(),
        origin: 'null',
        'content-type': 'application/x-www-form-urlencoded',
      },
    })
    expect(opaque.status).toBe(403)
    expect((await postJson(suite.stack.webUrl, '/api/call/orders', suite.jar)).status).toBe(200)
  })

  it('item 10: the error page shows a fixed message per error code, never the error_description', async () => {
    const iss = encodeURIComponent(suite.stack.issuer)
    const spoof = encodeURIComponent('Your account is locked. Call +1 555 0100 to unlock it.')
    const denied = await inject(suite.stack, {
      url: `/auth/callback?error=access_denied&error_description=${spoof}&state=xyz&iss=${iss}`,
    })
    expect(denied.statusCode).toBe(400)
    expect(denied.body).not.toContain('555 0100')
    expect(denied.body).toContain('access_denied')
    expect(denied.body).toContain('You declined')
    const odd = await inject(suite.stack, {
      url: `/auth/callback?error=${encodeURIComponent('Call 555 0100')}&error_description=x&state=xyz&iss=${iss}`,
    })
    expect(odd.statusCode).toBe(400)
    expect(odd.body).not.toContain('555 0100')
    expect(odd.body).toContain('The sign-in did not complete')
  })

  it('item 11: the authorization code and state of a callback never reach the web log', async () => {
    const iss = encodeURIComponent(suite.stack.issuer)
    const code = 'c0de-Secret-4711'
    const state = 'st4te-Secret-0815'
    await inject(suite.stack, { url: `/auth/callback?code=${code}&state=${state}&iss=${iss}` })
    await new Promise((resolve) => setTimeout(resolve, 200))
    const log = suite.stack.webLog()
    expect(log).toContain('/auth/callback')
    expect(log).not.toContain(code)
    expect(log).not.toContain(state)
  })

  it('item 13: no response of the web app carries a raw access or refresh token', async () => {
    const bodies: string[] = []
    const get = async (path: string) => {
      const res = await fetch(`${suite.stack.webUrl}${path}`, { headers: { cookie: suite.jar.header() } })
      bodies.push(await res.text())
    }
    await get('/')
    await get('/partials/token')
    for (const path of [
      '/api/call/orders',
      '/api/call/inventory',
      '/api/orders',
      '/api/experiments/tamper',
    ]) {
      const res = await fetch(`${suite.stack.webUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: suite.jar.header() },
        body: '{}',
      })
      expect(res.status).toBe(200)
      bodies.push(await res.text())
    }
    expect(bodies[0]).toContain('id="token"')
    expect(bodies[1]).toContain('kid')
    for (const body of bodies) expect(body).not.toMatch(JWS)
    // And none of the tokens the auth-server issued to this suite.stack, refresh tokens included, appears verbatim.
    expect(suite.stack.issuedTokens.length).toBeGreaterThanOrEqual(2)
    for (const token of suite.stack.issuedTokens) for (const body of bodies) expect(body).not.toContain(token)
  })
})
