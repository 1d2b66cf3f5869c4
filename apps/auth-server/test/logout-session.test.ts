import { backends } from '@stateless-auth/sql/testing'
import { generateKeyPair, SignJWT } from 'jose'
import * as client from 'openid-client'
import { describe, expect, it } from 'vitest'
import {
  admin,
  authorizeUrl,
  type Browser,
  discover,
  freshStores,
  refresh,
  signIn,
  start,
} from './helpers.js'

const POST_LOGOUT = 'http://localhost:3000/'

/** Whether the browser's next /authorize shows the login form (true) or answers with a code (false). */
async function asksForLogin(browser: Browser, url: string, extra: Record<string, string> = {}) {
  const response = await browser.request(await authorizeUrl(url, extra))
  if (response.status === 302) {
    expect(new URL(response.headers.get('location')!).searchParams.get('code')).toBeTruthy()
    return false
  }
  expect(response.status).toBe(200)
  expect(await response.text()).toContain('action="/login"')
  return true
}

describe.each(backends())('auth-server session, max_age and RP-Initiated Logout on %s', (backend) => {
  const newStore = freshStores(backend)
  async function server() {
    const store = await newStore()
    return start({ DATABASE_URL: store.url })
  }

  it('honours max_age and prompt=login with a live session (issue 12, item 4)', async () => {
    const { url } = await server()
    const { browser } = await signIn(await discover(url))
    expect(await asksForLogin(browser, url)).toBe(false)
    expect(await asksForLogin(browser, url, { max_age: '3600' })).toBe(false)
    expect(await asksForLogin(browser, url, { max_age: '0' })).toBe(true)
    expect(await asksForLogin(browser, url, { prompt: 'login' })).toBe(true)
    // Signing in again satisfies max_age=0 once: the flow ends with a code, not a second login page.
    const again = await browser.authorize(await authorizeUrl(url, { max_age: '0' }))
    expect(again.searchParams.get('code')).toBeTruthy()
    const refused = await browser.request(await authorizeUrl(url, { max_age: 'soon' }))
    expect(refused.status).toBe(302)
    expect(new URL(refused.headers.get('location')!).searchParams.get('error')).toBe('invalid_request')
  })

  it('ends the session at /logout: the next /authorize asks for the password, and its grants are revoked', async () => {
    const { url } = await server()
    const config = await discover(url)
    expect(config.serverMetadata().end_session_endpoint).toBe(`${url}/logout`)
    const { tokens, browser } = await signIn(config)
    const logout = client.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: POST_LOGOUT,
      state: 'bye',
    })
    const response = await browser.request(logout.toString())
    expect(response.status).toBe(303)
    const back = new URL(response.headers.get('location')!)
    expect(`${back.origin}${back.pathname}`).toBe(POST_LOGOUT)
    expect(back.searchParams.get('state')).toBe('bye')
    expect(await asksForLogin(browser, url)).toBe(true)
    // The grant created in that session died with it.
    const refreshed = await refresh(url, tokens.refresh_token!)
    expect(refreshed.status).toBe(400)
    expect(await refreshed.json()).toMatchObject({ error: 'invalid_grant' })
  })

  it('refuses an unregistered post_logout_redirect_uri and a forged id_token_hint with an error page', async () => {
    const { url } = await server()
    const { tokens, browser } = await signIn(await discover(url))
    const bad = async (params: Record<string, string>) => {
      const response = await browser.request(`${url}/logout?${new URLSearchParams(params)}`)
      expect(response.status).toBe(400)
      expect(response.headers.get('content-type')).toMatch(/^text\/html/)
      expect(response.headers.get('location')).toBeNull()
    }
    await bad({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'https://evil.example/' })
    await bad({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: `${POST_LOGOUT}x` })
    await bad({ client_id: 'web', post_logout_redirect_uri: 'http://localhost:3000' })
    await bad({ post_logout_redirect_uri: POST_LOGOUT })
    await bad({ id_token_hint: 'not-a-jwt' })
    const { privateKey } = await generateKeyPair('RS256')
    const forged = await new SignJWT({ sub: 'alice', aud: 'web' })
      .setProtectedHeader({ alg: 'RS256', kid: 'forged' })
      .setIssuer(url)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey)
    await bad({ id_token_hint: forged, post_logout_redirect_uri: POST_LOGOUT })
    await bad({ id_token_hint: tokens.access_token, post_logout_redirect_uri: POST_LOGOUT })
    // None of these signed anyone out.
    expect(await asksForLogin(browser, url)).toBe(false)
  })

  it('asks for confirmation without an id_token_hint, and signs out after the form', async () => {
    const { url } = await server()
    const { browser } = await signIn(await discover(url))
    const page = await browser.request(`${url}/logout`)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('action="/logout/confirm"')
    expect(await asksForLogin(browser, url)).toBe(false)
    const confirmed = await browser.submit(`${url}/logout`, html, {})
    expect(confirmed.status).toBe(200)
    expect(await asksForLogin(browser, url)).toBe(true)
  })

  it('ends the sessions of a disabled user: enabling them again does not bring the session back', async () => {
    const { url, adminUrl } = await server()
    const { browser } = await signIn(await discover(url))
    expect((await admin(adminUrl, '/admin/users/alice/disable')).status).toBe(200)
    expect(await asksForLogin(browser, url)).toBe(true)
    expect((await admin(adminUrl, '/admin/users/alice/enable')).status).toBe(200)
    expect(await asksForLogin(browser, url)).toBe(true)
  })
})
