import { createHash, randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { DpopClient } from '@stateless-auth/dpop-client'

/** A token endpoint answer (RFC 6749 §5.1) or refusal (§5.2), with its status. */
export interface TokenAnswer {
  status: number
  body: Record<string, unknown>
}

/** Cookies as a browser keeps them for one host, enough to carry the login session and CSRF cookie. */
export class CookieJar {
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

export interface AuthorizeOptions {
  issuer: string
  clientId: string
  /** Where the auth-server sends the browser back; the script stops there and reads the answer from the URL. */
  redirectUri: string
  username: string
  password: string
  scope: string
  resources: string[]
  /** The browser's cookies at the auth-server; pass the same jar again to reuse its login session. */
  jar?: CookieJar
}

export interface AuthorizeResult {
  authorizeUrl: string
  /** The forms the script filled in, as `POST <action> <fields>` lines (login, then consent when asked). */
  formsPosted: string[]
  /** The redirect to `redirectUri` with `code`, `state` and `iss` (or `error`). */
  callback: URL
  state: string
  /** The PKCE code verifier for this request (RFC 7636 §4.1). */
  verifier: string
}

/**
 * Plays the person at the browser for one authorization request (RFC 6749 §4.1, PKCE S256): opens the
 * authorize URL, fills in the login and consent forms with the given credentials, and follows the auth-server's
 * redirects with its cookies until it sends the browser to `redirectUri`.
 */
export async function authorize(options: AuthorizeOptions): Promise<AuthorizeResult> {
  const verifier = randomBytes(32).toString('base64url')
  const challenge = createHash('sha256').update(verifier).digest('base64url')
  const state = randomBytes(16).toString('base64url')
  const { redirectUri } = options
  const authorizeUrl = new URL(`${options.issuer}/authorize`)
  authorizeUrl.search = new URLSearchParams(<[string, string][]>[
    ['response_type', 'code'],
    ['client_id', options.clientId],
    ['redirect_uri', redirectUri],
    ['scope', options.scope],
    ['state', state],
    ['code_challenge', challenge],
    ['code_challenge_method', 'S256'],
    ...options.resources.map((r): [string, string] => ['resource', r]),
  ]).toString()

  const jar = options.jar ?? new CookieJar()
  const formsPosted: string[] = []
  let url = authorizeUrl
  for (let hop = 0; hop < 10; hop++) {
    let res = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } })
    jar.take(res)
    if (res.status === 200) {
      // Login page, then possibly a consent page.
      const page = await res.text()
      const form = parseForm(page)
      if (!form) throw new Error(`no form on the auth-server's page ${url.pathname} (${res.status})`)
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
    }
    const location = res.headers.get('location')
    if (res.status < 300 || res.status >= 400 || !location) {
      throw new Error(`the auth-server answered ${res.status} at ${url.pathname} without a redirect`)
    }
    const next = new URL(location, url)
    if (next.href.startsWith(`${redirectUri}?`)) {
      return { authorizeUrl: authorizeUrl.href, formsPosted, callback: next, state, verifier }
    }
    url = next
  }
  throw new Error('the sign-in took too many redirects')
}

export interface SignInOptions {
  issuer: string
  clientId: string
  username: string
  password: string
  scope: string
  resources: string[]
  /** Redeem the code with proofs of this client's key: a DPoP-bound token (RFC 9449 §5). */
  dpop?: DpopClient
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
    const flow = await authorize({ ...options, redirectUri })
    await fetch(flow.callback) // the browser's last hop: our loopback server receives the code
    const callback = await callbackReceived
    // RFC 9207 §2.4 and RFC 6749 §10.12: the response must come from our issuer and carry our state.
    if (callback.get('iss') !== options.issuer)
      throw new Error(`iss is ${callback.get('iss')}, not ${options.issuer}`)
    if (callback.get('state') !== flow.state) throw new Error('state does not match')
    const code = callback.get('code')
    if (!code) throw new Error(`no code: ${callback.get('error')} ${callback.get('error_description') ?? ''}`)
    const tokens = await tokenRequest(
      options.issuer,
      {
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        client_id: options.clientId,
        code_verifier: flow.verifier,
        resource: options.resources[0]!,
      },
      undefined,
      options.dpop,
    )
    return { authorizeUrl: flow.authorizeUrl, redirectUri, callback, formsPosted: flow.formsPosted, tokens }
  } finally {
    loopback.close()
  }
}

/**
 * A token request (RFC 6749 §3.2). A public client sends no secret (§2.1, PKCE protects the code); a
 * confidential one authenticates with HTTP Basic (§2.3.1). With `dpop`, a proof of its key goes along (RFC 9449
 * §5), retried once with the server's nonce when it asks for one.
 */
export async function tokenRequest(
  issuer: string,
  params: Record<string, string>,
  client?: { id: string; secret: string },
  dpop?: DpopClient,
): Promise<TokenAnswer> {
  const basic = client
    ? `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}`
    : undefined
  const init = {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      ...(basic ? { authorization: basic } : {}),
    },
    body: new URLSearchParams(params),
  }
  const res = dpop ? await dpop.fetch(`${issuer}/token`, init) : await fetch(`${issuer}/token`, init)
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}
