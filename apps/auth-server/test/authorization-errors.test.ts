import { describe, expect, it } from 'vitest'
import { authorizeUrl, Browser, start, WEB_REDIRECT } from './helpers.js'

/** The web client's authorization request with the state every error redirect must echo. */
const requestUrl = (base: string, overrides: Record<string, string | null> = {}) =>
  authorizeUrl(base, { scope: 'openid orders:read', state: 'the-state', ...overrides })

async function errorRedirect(url: URL) {
  const response = await fetch(url, { redirect: 'manual' })
  expect(response.status).toBe(302)
  const location = new URL(response.headers.get('location')!)
  expect(location.origin + location.pathname).toBe(WEB_REDIRECT)
  expect(location.searchParams.get('state')).toBe('the-state')
  expect(location.searchParams.get('iss')).toBe(url.origin)
  return {
    error: location.searchParams.get('error'),
    description: location.searchParams.get('error_description'),
  }
}

describe('the authorization endpoint refuses bad requests', () => {
  it('never redirects to an unregistered redirect_uri or for an unknown client: it shows an error page', async () => {
    const server = await start()
    const cases: Array<Record<string, string | null>> = [
      { redirect_uri: 'http://localhost:3000/auth/callback/../evil' },
      { redirect_uri: 'https://attacker.example/cb' },
      { redirect_uri: 'http://localhost:3000/auth/callback?x=1' },
      { client_id: 'nobody' },
      { client_id: null },
    ]
    for (const overrides of cases) {
      const response = await fetch(await requestUrl(server.url, overrides), { redirect: 'manual' })
      expect(response.status).toBe(400)
      expect(response.headers.get('location')).toBeNull()
      expect(response.headers.get('content-type')).toMatch(/text\/html/)
      expect(await response.text()).toContain('not valid')
    }
  })

  it('accepts the loopback port exception for demo-cli only on 127.0.0.1 or [::1] with the registered path', async () => {
    const server = await start()
    const base = { client_id: 'demo-cli', scope: 'orders:read' }
    const ok = await fetch(
      await requestUrl(server.url, { ...base, redirect_uri: 'http://127.0.0.1:9/callback' }),
    )
    expect(ok.status).toBe(200)
    // RFC 8252 §7.3 and §8.3: the app may bind the IPv6 loopback instead, so [::1] works on any port too.
    const ipv6 = await fetch(
      await requestUrl(server.url, { ...base, redirect_uri: 'http://[::1]:9/callback' }),
    )
    expect(ipv6.status).toBe(200)
    for (const redirect_uri of [
      'http://127.0.0.1:9/other',
      'http://[::1]:9/other',
      'http://localhost:9/callback',
      'http://10.0.0.1:9/callback',
      'http://[::2]:9/callback',
      'https://127.0.0.1:9/callback',
      'http://user@127.0.0.1:9/callback',
      'http://127.0.0.1:9/callback#fragment',
      'http://127.0.0.1:9/callback?extra=1',
      'http://0x7f.0.0.1:9/callback',
    ]) {
      const response = await fetch(await requestUrl(server.url, { ...base, redirect_uri }), {
        redirect: 'manual',
      })
      expect(response.status, redirect_uri).toBe(400)
    }
    // web registered an exact URI: no port freedom there.
    const web = await fetch(
      await requestUrl(server.url, { redirect_uri: 'http://localhost:3001/auth/callback' }),
    )
    expect(web.status).toBe(400)
  })

  it('requires PKCE with S256 and refuses a downgrade to plain (RFC 7636, RFC 9700 §2.1.1)', async () => {
    const server = await start()
    expect(await errorRedirect(await requestUrl(server.url, { code_challenge: null }))).toEqual({
      error: 'invalid_request',
      description: 'code_challenge is required (PKCE)',
    })
    expect(
      (await errorRedirect(await requestUrl(server.url, { code_challenge_method: 'plain' }))).error,
    ).toBe('invalid_request')
    expect((await errorRedirect(await requestUrl(server.url, { code_challenge_method: null }))).error).toBe(
      'invalid_request',
    )
    expect((await errorRedirect(await requestUrl(server.url, { code_challenge: 'short' }))).error).toBe(
      'invalid_request',
    )
  })

  it('reports other errors to the verified redirect URI with state and iss', async () => {
    const server = await start()
    const cases: Array<[Record<string, string | null>, string]> = [
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ response_type: null }, 'invalid_request'],
      [{ scope: 'openid admin:everything' }, 'invalid_scope'],
      [{ scope: 'inventory:write' }, 'invalid_scope'],
      [{ scope: null }, 'invalid_scope'],
      [{ resource: 'urn:stateless-auth:billing-api' }, 'invalid_target'],
      [{ resource: 'not a uri' }, 'invalid_target'],
      [{ prompt: 'none' }, 'login_required'],
      [{ prompt: 'select_account' }, 'invalid_request'],
    ]
    for (const [overrides, expected] of cases) {
      expect(
        (await errorRedirect(await requestUrl(server.url, overrides))).error,
        JSON.stringify(overrides),
      ).toBe(expected)
    }
    const duplicated = await requestUrl(server.url)
    duplicated.searchParams.append('scope', 'openid')
    expect((await errorRedirect(duplicated)).error).toBe('invalid_request')
  })

  it('serves the login page with CSRF protection and a CSP that forbids framing', async () => {
    const server = await start()
    const response = await fetch(await requestUrl(server.url))
    expect(response.status).toBe(200)
    const csp = response.headers.get('content-security-policy')!
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).toContain("default-src 'none'")
    // The form posts lead to a redirect to the client, which form-action must allow as well.
    expect(csp).toContain("form-action 'self' http://localhost:3000")
    expect(response.headers.get('x-frame-options')).toBe('DENY')
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    const page = await response.text()
    expect(page).toMatch(/<input type="hidden" name="_csrf" value="[^"]+">/)

    // A forged post without the CSRF cookie and token is refused.
    const forged = await fetch(`${server.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'alice', password: 'demo-password', return_to: 'client_id=web' }),
      redirect: 'manual',
    })
    expect(forged.status).toBe(403)
    expect(forged.headers.get('set-cookie') ?? '').not.toContain('sa_session')
  })

  it('binds form tokens to the signed-in user: a CSRF pair from before sign-in cannot post consent', async () => {
    const server = await start()
    const url = (
      await requestUrl(server.url, {
        client_id: 'demo-cli',
        redirect_uri: 'http://127.0.0.1:9/callback',
        scope: 'orders:read',
      })
    ).toString()
    // The attacker's own visit yields a valid (signed) CSRF cookie and a token for it.
    const attacker = new Browser()
    const attackerPage = await (await attacker.request(url)).text()
    const attackerToken = /name="_csrf" value="([^"]+)"/.exec(attackerPage)![1]!

    const victim = new Browser()
    const loginPage = await (await victim.request(url)).text()
    const signedIn = await victim.submit(url, loginPage, { username: 'alice', password: 'demo-password' })
    expect(signedIn.status).toBe(303)
    const consentUrl = new URL(signedIn.headers.get('location')!, url).toString()
    const consentPage = await (await victim.request(consentUrl)).text()
    expect(consentPage).toContain('action="/consent"')

    // Session fixation of the CSRF secret: the attacker's cookie planted in the victim's browser.
    const victimSecret = victim.cookie('_csrf')!
    victim.setCookie('_csrf', attacker.cookie('_csrf')!)
    const forged = await victim.submit(consentUrl, consentPage, { _csrf: attackerToken, decision: 'allow' })
    expect(forged.status).toBe(403)
    expect(forged.headers.get('location')).toBeNull()

    victim.setCookie('_csrf', victimSecret)
    const genuine = await victim.submit(consentUrl, consentPage, { decision: 'allow' })
    expect(genuine.status).toBe(303)
    expect(new URL(genuine.headers.get('location')!).searchParams.get('code')).toBeTruthy()
  })

  it('gives the same answer for a wrong password, an unknown user and a disabled user (no enumeration)', async () => {
    const server = await start()
    await server.app.authServer.storage.users.setDisabled('bob', true, server.app.authServer.now())
    const answers = []
    for (const [username, password] of [
      ['alice', 'wrong'],
      ['mallory', 'demo-password'],
      ['bob', 'demo-password'],
    ]) {
      const browser = new Browser()
      const url = (await requestUrl(server.url)).toString()
      const page = await (await browser.request(url)).text()
      const response = await browser.submit(url, page, { username: username!, password: password! })
      expect(response.status).toBe(400)
      const body = await response.text()
      expect(body).toContain('Invalid username or password.')
      answers.push(body.replace(/value="[^"]*"/g, ''))
    }
    expect(new Set(answers).size).toBe(1)
  })

  it('escapes everything it echoes into the page', async () => {
    const server = await start()
    const browser = new Browser()
    const url = (await requestUrl(server.url)).toString()
    const page = await (await browser.request(url)).text()
    const response = await browser.submit(url, page, {
      username: '"><script>alert(1)</script>',
      password: 'x',
    })
    const body = await response.text()
    expect(body).not.toContain('<script>')
    expect(body).toContain('&quot;&gt;&lt;script&gt;')
  })
})

describe('the authorization endpoint also takes a form POST (OIDC Core §3.1.2.1)', () => {
  it('shows the login page for a posted request and still refuses an unregistered redirect', async () => {
    const server = await start()
    const good = await requestUrl(server.url)
    const posted = await fetch(`${server.url}/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: good.searchParams,
    })
    expect(posted.status).toBe(200)
    expect(await posted.text()).toContain('action="/login"')
    const bad = await requestUrl(server.url, { redirect_uri: 'https://attacker.example/cb' })
    const refused = await fetch(`${server.url}/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: bad.searchParams,
      redirect: 'manual',
    })
    expect(refused.status).toBe(400)
    expect(refused.headers.get('location')).toBeNull()
  })
})
