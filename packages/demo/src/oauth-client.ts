import { createHash, randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A token endpoint answer (RFC 6749 §5.1) or refusal (§5.2), with its status. */
export interface TokenAnswer {
  status: number
  body: Record<string, unknown>
}

/** Cookies as a browser keeps them for one host, enough to carry the login session and CSRF cookie. */
class CookieJar {
  #cookies = new Map<string, string>()
  take(res: Response): void {
    for (const header of res.headers.getSetCookie()) {
      const [pair] = header.split(';')
      const eq = pair?.indexOf('=') ?? -1
      if (pair && eq > 0) this.#cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim())
    }
  }
  header(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }
}

const decodeEntities = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')

/** The first POST form of a page: its action and hidden fields (CSRF token, the authorization request). */
export function parseForm(page: string): { action: string; fields: Record<string, string> } | undefined {
  const form = /<form[^>]*method="post"[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(page)
  if (!form) return undefined
  const fields: Record<string, string> = {}
  for (const input of form[2]!.matchAll(/<input[^>]*>/gi)) {
    const tag = input[0]
    if (!/type="hidden"/i.test(tag)) continue
    const name = /name="([^"]*)"/.exec(tag)?.[1]
    const value = /value="([^"]*)"/.exec(tag)?.[1] ?? ''
    if (name) fields[decodeEntities(name)] = decodeEntities(value)
  }
  return { action: decodeEntities(form[1]!), fields }
}

export interface SignInOptions {
  issuer: string
  clientId: string
  username: string
  password: string
  scope: string
  resources: string[]
}

export interface SignInResult {
  /** What went over the wire, for the narration. */
  authorizeUrl: string
  redirectUri: string
  callback: URLSearchParams
  /** The forms the script filled in, as `POST <action> <fields>` lines (login, then consent when asked). */
  formsPosted: string[]
  tokens: TokenAnswer
}

/**
 * A native app's sign-in (RFC 8252): a loopback redirect server on 127.0.0.1 port 0, PKCE S256 (RFC 7636),
 * `state`, and — standing in for the person at the browser — the login and consent forms filled in here.
 */
export async function signIn(options: SignInOptions): Promise<SignInResult> {
  const verifier = randomBytes(32).toString('base64url')
  const challenge = createHash('sha256').update(verifier).digest('base64url')
  const state = randomBytes(16).toString('base64url')

  let received: (params: URLSearchParams) => void = () => {}
  const callbackReceived = new Promise<URLSearchParams>((resolve) => {
    received = resolve
  })
  const loopback = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (url.pathname !== '/callback') {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end('Signed in; you can close this window.')
    received(url.searchParams)
  })
  await new Promise<void>((resolve) => loopback.listen(0, '127.0.0.1', resolve))
  const redirectUri = `http://127.0.0.1:${(loopback.address() as AddressInfo).port}/callback`

  try {
    const authorize = new URL(`${options.issuer}/authorize`)
    authorize.search = new URLSearchParams(<[string, string][]>[
      ['response_type', 'code'],
      ['client_id', options.clientId],
      ['redirect_uri', redirectUri],
      ['scope', options.scope],
      ['state', state],
      ['code_challenge', challenge],
      ['code_challenge_method', 'S256'],
      ...options.resources.map((r): [string, string] => ['resource', r]),
    ]).toString()

    const jar = new CookieJar()
    const formsPosted: string[] = []
    let res = await fetch(authorize, { redirect: 'manual' })
    jar.take(res)
    // Login page, then possibly a consent page: fill each form until the server redirects to us.
    for (let step = 0; step < 4 && res.status === 200; step++) {
      const page = await res.text()
      const form = parseForm(page)
      if (!form) throw new Error(`no form on the auth-server's page (step ${step + 1})`)
      const body = new URLSearchParams(form.fields)
      if (/name="password"/.test(page)) {
        body.set('username', options.username)
        body.set('password', options.password)
        formsPosted.push(
          `POST ${form.action} username=${options.username} password=… ${Object.keys(form.fields).join(' ')}`,
        )
      } else {
        body.set('decision', 'allow')
        formsPosted.push(`POST ${form.action} decision=allow ${Object.keys(form.fields).join(' ')}`)
      }
      res = await fetch(new URL(form.action, options.issuer), {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header() },
        body,
      })
      jar.take(res)
      // Redirects inside the auth-server (login → /authorize) are followed with the same cookies.
      while (res.status >= 300 && res.status < 400) {
        const location = new URL(res.headers.get('location') ?? '', options.issuer)
        if (location.href.startsWith(redirectUri)) {
          await fetch(location) // the browser's last hop: our loopback server receives the code
          break
        }
        res = await fetch(location, { redirect: 'manual', headers: { cookie: jar.header() } })
        jar.take(res)
      }
      if (res.status >= 300 && res.status < 400) break
    }
    const callback = await Promise.race([
      callbackReceived,
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`no redirect to the loopback server (last status ${res.status})`)),
          10_000,
        ),
      ),
    ])
    // RFC 9207 §2.4 and RFC 6749 §10.12: the response must come from our issuer and carry our state.
    if (callback.get('iss') !== options.issuer)
      throw new Error(`iss is ${callback.get('iss')}, not ${options.issuer}`)
    if (callback.get('state') !== state) throw new Error('state does not match')
    const code = callback.get('code')
    if (!code) throw new Error(`no code: ${callback.get('error')} ${callback.get('error_description') ?? ''}`)
    const tokens = await tokenRequest(options.issuer, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: options.clientId,
      code_verifier: verifier,
      resource: options.resources[0]!,
    })
    return { authorizeUrl: authorize.href, redirectUri, callback, formsPosted, tokens }
  } finally {
    loopback.close()
  }
}

/** A public client's token request (no secret: RFC 6749 §2.1, PKCE protects the code). */
export async function tokenRequest(issuer: string, params: Record<string, string>): Promise<TokenAnswer> {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(params),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}
