import { parseForm } from '@stateless-auth/experiments'
import type { Recorder } from './traffic.js'

/**
 * Applies one `Set-Cookie` header to a jar (name → value) as a browser does (RFC 6265 §5.2, §5.3): a cookie whose
 * `Max-Age` is zero or less, or (without `Max-Age`) whose `Expires` has passed, is removed; any other is set.
 */
export function applySetCookie(jar: Map<string, string>, header: string, now = Date.now()): void {
  const [pair = '', ...attributes] = header.split(';')
  const eq = pair.indexOf('=')
  if (eq <= 0) return
  const name = pair.slice(0, eq).trim()
  let maxAge: number | undefined
  let expires: number | undefined
  for (const attribute of attributes) {
    const at = attribute.indexOf('=')
    const key = (at < 0 ? attribute : attribute.slice(0, at)).trim().toLowerCase()
    const value = at < 0 ? '' : attribute.slice(at + 1).trim()
    if (key === 'max-age' && /^-?\d+$/.test(value)) maxAge = Number(value)
    else if (key === 'expires' && !Number.isNaN(Date.parse(value))) expires = Date.parse(value)
  }
  const expired = maxAge !== undefined ? maxAge <= 0 : expires !== undefined && expires <= now
  if (expired) jar.delete(name)
  else jar.set(name, pair.slice(eq + 1).trim())
}

/** What one recorded request got back, and whether it was the answer expected. */
interface Answer {
  ok: boolean
  status: number
  body: string
  headers: Headers
  url: URL
}

/** Statuses that send a browser elsewhere with `Location`. */
export const isRedirect = (status: number) => status === 302 || status === 303

/**
 * How long a request may take before it counts as failed (`timeout`): a browser's patience, not a service's
 * timeout, so that a slow answer on a loaded machine is measured (p99) and a service's own timeout shows as its
 * own answer.
 */
export const BROWSER_TIMEOUT_MS = 30_000

/** How a request's answer is judged: `true`, `false` (its status is the cause) or the cause. */
type Judge = (status: number, body: string, headers: Headers) => boolean | string

/**
 * A browser, as far as the web app's sign-in and sign-out need one: cookies kept per origin (the web app and the
 * auth-server are both 127.0.0.1, on two ports), redirects followed one hop at a time so that each hop is one
 * recorded request with its own label, and the auth-server's login and consent forms filled in.
 */
export class Browser {
  readonly #jars = new Map<string, Map<string, string>>()

  constructor(readonly rec: Recorder) {}

  /** The cookies this browser holds for `origin` (read-only). */
  cookies(origin: string): ReadonlyMap<string, string> {
    return this.#jar(origin)
  }

  #jar(origin: string): Map<string, string> {
    const jar = this.#jars.get(origin) ?? new Map<string, string>()
    this.#jars.set(origin, jar)
    return jar
  }

  /** One request with this browser's cookies for its origin, recorded under `label`; redirects are not followed. */
  async request(
    label: string,
    url: string | URL,
    init: { method?: string; headers?: Record<string, string>; body?: string },
    expected: Judge,
  ): Promise<Answer | undefined> {
    const target = new URL(url)
    const jar = this.#jar(target.origin)
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ')
    let ok = false
    const answer = await this.rec.send(
      label,
      target.href,
      { ...init, redirect: 'manual', headers: { ...init.headers, ...(cookie ? { cookie } : {}) } },
      (status, body, headers) => {
        const verdict = expected(status, body, headers)
        ok = verdict === true
        return verdict
      },
      BROWSER_TIMEOUT_MS,
    )
    if (!answer) return undefined
    for (const header of answer.headers.getSetCookie()) applySetCookie(jar, header)
    return { ...answer, ok, url: target }
  }

  /**
   * Follows redirects from `answer` until one leads to `origin` (answered 200 pages on the way are the
   * auth-server's forms, filled in with `credentials` or consent, then posted): resolves with that URL, or
   * undefined when a hop failed (recorded with its cause).
   */
  async followTo(
    origin: string,
    answer: Answer,
    credentials: { username: string; password: string },
    flow: string,
  ): Promise<URL | undefined> {
    let current = answer
    for (let hop = 0; hop < 10; hop++) {
      const location = current.headers.get('location')
      if (!location) {
        this.rec.failed(`${flow}: ${current.url.pathname}`, `HTTP ${current.status} without Location`)
        return undefined
      }
      const next = new URL(location, current.url)
      if (next.origin === origin) return next
      const page = await this.request(`${flow}: GET ${next.pathname}`, next, {}, (status, body) =>
        status === 200 ? (parseForm(body) ? true : 'a page without a form') : isRedirect(status),
      )
      if (!page?.ok) return undefined
      current = page
      if (page.status !== 200) continue
      const form = parseForm(page.body)!
      const fields = new URLSearchParams(form.fields)
      if (/name="password"/.test(page.body)) {
        fields.set('username', credentials.username)
        fields.set('password', credentials.password)
      } else fields.set('decision', 'allow')
      const action = new URL(form.action, next)
      const posted = await this.request(
        `${flow}: POST ${action.pathname}`,
        action,
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin: action.origin },
          body: fields.toString(),
        },
        isRedirect,
      )
      if (!posted?.ok) return undefined
      current = posted
    }
    this.rec.failed(flow, `more than 10 redirects without reaching ${origin}`)
    return undefined
  }
}
