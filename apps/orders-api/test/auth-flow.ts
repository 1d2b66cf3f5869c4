import { createHash, randomBytes } from 'node:crypto'

/**
 * Signs a demo user in at the real auth-server the way the web app does (authorization code + PKCE S256,
 * RFC 7636), filling in the login form, and returns the access token for `resource` (RFC 8707).
 */
export async function signIn(
  issuer: string,
  options: { username: string; password?: string; scope: string; resource: string },
): Promise<string> {
  const cookies = new Map<string, string>()
  const request = async (url: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers)
    if (cookies.size > 0) headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '))
    const response = await fetch(url, { ...init, headers, redirect: 'manual' })
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';')[0] ?? ''
      const eq = pair.indexOf('=')
      cookies.set(pair.slice(0, eq), pair.slice(eq + 1))
    }
    return response
  }
  const redirectUri = 'http://localhost:3000/auth/callback'
  const verifier = randomBytes(32).toString('base64url')
  const authorize = new URL('/authorize', issuer)
  authorize.search = new URLSearchParams({
    response_type: 'code',
    client_id: 'web',
    redirect_uri: redirectUri,
    scope: options.scope,
    resource: options.resource,
    state: randomBytes(8).toString('hex'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString()

  let url = authorize.toString()
  for (let step = 0; step < 6; step++) {
    const response = await request(url)
    let location = response.headers.get('location')
    if (!location) {
      const page = await response.text()
      const form = /<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/.exec(page)
      if (!form) throw new Error(`authorize answered ${response.status} without a form`)
      const body = new URLSearchParams()
      for (const input of (form[2] ?? '').matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
        body.set(input[1]!, input[2]!.replace(/&amp;/g, '&').replace(/&quot;/g, '"'))
      }
      if (page.includes('action="/login"')) {
        body.set('username', options.username)
        body.set('password', options.password ?? 'demo-password')
      } else body.set('decision', 'allow')
      const answer = await request(new URL(form[1]!, url).toString(), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      })
      location = answer.headers.get('location')
      if (!location) throw new Error(`form answered ${answer.status}: ${await answer.text()}`)
    }
    const next = new URL(location, url)
    const code = next.searchParams.get('code')
    if (next.toString().startsWith(redirectUri) && code) {
      const token = await fetch(new URL('/token', issuer), {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from('web:web-secret').toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirectUri,
          code_verifier: verifier,
          resource: options.resource,
        }),
      })
      const json = (await token.json()) as { access_token?: string }
      if (!json.access_token)
        throw new Error(`token endpoint answered ${token.status}: ${JSON.stringify(json)}`)
      return json.access_token
    }
    if (next.searchParams.has('error')) throw new Error(`authorization failed: ${next.toString()}`)
    url = next.toString()
  }
  throw new Error('sign-in took too many steps')
}
