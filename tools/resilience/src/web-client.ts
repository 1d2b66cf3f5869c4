import { BROWSER_TIMEOUT_MS, Browser, isRedirect } from './browser.js'
import type { Recorder } from './traffic.js'

/** The web app's session cookie (apps/web/src/session/plugin.ts). */
const SESSION_COOKIE = 'sid'
/** What the web app's page shows a signed-in user only: the sign-out form. */
const SIGNED_IN_MARK = 'action="/logout"'

/**
 * Judges the web app's answer to `POST /api/call/:api` or `POST /api/orders`: the web answers 200 with what the
 * API answered (`status`, or `networkError` when none came), so a 200 from the web is a success only when the
 * API's own answer is `apiOk`. `retried` is set when the web got `invalid_token` first and retried after a refresh.
 */
export function judgeApiAnswer(
  api: string,
  status: number,
  body: string,
  apiOk: (status: number) => boolean,
): { verdict: boolean | string; retried: boolean } {
  if (status !== 200) return { verdict: false, retried: false }
  let call: { status?: unknown; networkError?: unknown; retriedAfter?: unknown }
  try {
    call = JSON.parse(body) as typeof call
  } catch {
    return { verdict: 'the web answered 200 without JSON', retried: false }
  }
  const retried = call.retriedAfter !== undefined
  if (typeof call.networkError === 'string') return { verdict: `${api} unreachable from the web`, retried }
  if (typeof call.status !== 'number') return { verdict: `no ${api} status in the web's answer`, retried }
  return { verdict: apiOk(call.status) ? true : `${api} answered ${call.status} through the web`, retried }
}

/**
 * One person at a browser using the web app (apps/web): signs in through it (its `/login`, the auth-server's
 * forms, its callback), calls the APIs through its JSON routes (the tokens stay in the web app's session), signs
 * out (the web app, then the auth-server's end_session_endpoint). Every request is recorded; a method resolves
 * false when one of its requests did not get the expected answer.
 */
export class WebClient {
  #browser: Browser
  readonly webOrigin: string
  /** Web-side retries after an `invalid_token` answer (a refresh the web had not foreseen). */
  retries = 0

  constructor(
    readonly rec: Recorder,
    readonly webUrl: string,
    readonly credentials: { username: string; password: string },
  ) {
    this.#browser = new Browser(rec)
    this.webOrigin = new URL(webUrl).origin
  }

  get signedIn(): boolean {
    return this.#browser.cookies(this.webOrigin).has(SESSION_COOKIE)
  }

  /** Starts over with no cookies at all (after a failed step, so that one failure does not cascade). */
  reset(): void {
    this.#browser = new Browser(this.rec)
  }

  /** The web app's `/login` → the auth-server (login form, consent if asked) → the web's callback → its page. */
  async signIn(): Promise<boolean> {
    const start = await this.#browser.request('sign-in: GET /login', `${this.webUrl}/login`, {}, isRedirect)
    if (!start?.ok) return false
    const callback = await this.#browser.followTo(this.webOrigin, start, this.credentials, 'sign-in')
    if (!callback) return false
    const landed = await this.#browser.request(
      `sign-in: GET ${callback.pathname}`,
      callback,
      {},
      (status, _body, headers) =>
        status !== 302
          ? false
          : headers
                .getSetCookie()
                .some((c) => c.startsWith(`${SESSION_COOKIE}=`) && !c.startsWith(`${SESSION_COOKIE}=;`))
            ? true
            : 'the callback set no session cookie',
    )
    if (!landed?.ok) return false
    return this.#page('sign-in: GET /', new URL(landed.headers.get('location') ?? '/', landed.url), true)
  }

  /** Reloads the page (the web app reads the session and renders it): still signed in. */
  reload(): Promise<boolean> {
    return this.#page('page: GET /', `${this.webUrl}/`, true)
  }

  /** The web app's page, which must be the signed-in one or the signed-out one. */
  async #page(label: string, url: string | URL, signedIn: boolean): Promise<boolean> {
    const page = await this.#browser.request(label, url, {}, (status, body) =>
      status !== 200
        ? false
        : body.includes(SIGNED_IN_MARK) === signedIn
          ? true
          : `the page is ${signedIn ? 'signed out' : 'still signed in'}`,
    )
    return page?.ok === true
  }

  /** `POST /api/call/:api` (the web calls `GET /orders` or `GET /inventory` with the session's DPoP token). */
  async call(api: 'orders' | 'inventory'): Promise<boolean> {
    return this.#json(`api: POST /api/call/${api}`, `/api/call/${api}`, `${api}-api`, (s) => s === 200)
  }

  /** `POST /api/orders`: the web places an order; orders-api reserves the stock at inventory-api. */
  async placeOrder(): Promise<boolean> {
    return this.#json('api: POST /api/orders', '/api/orders', 'orders-api', (s) => s === 201)
  }

  async #json(label: string, path: string, api: string, apiOk: (status: number) => boolean) {
    let retried = false
    const answer = await this.#browser.request(
      label,
      `${this.webUrl}${path}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: this.webOrigin },
        body: '{}',
      },
      (status, body) => {
        const judged = judgeApiAnswer(api, status, body, apiOk)
        retried = judged.retried
        return judged.verdict
      },
    )
    if (retried) this.retries++
    return answer?.ok === true
  }

  /**
   * The sign-out form (`POST /logout`) → the auth-server's end_session_endpoint → back to the web's page, signed
   * out; then the session id the browser held is refused by the web (401), as it must be once the session ended.
   */
  async signOut(): Promise<boolean> {
    const sid = this.#browser.cookies(this.webOrigin).get(SESSION_COOKIE)
    const posted = await this.#browser.request(
      'sign-out: POST /logout',
      `${this.webUrl}/logout`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: this.webOrigin },
        body: '',
      },
      isRedirect,
    )
    if (!posted?.ok) return false
    const back = await this.#browser.followTo(this.webOrigin, posted, this.credentials, 'sign-out')
    if (!back) return false
    if (!(await this.#page('sign-out: GET /', back, false))) return false
    const stale = await this.rec.send(
      'sign-out: the old session refused',
      `${this.webUrl}/api/call/orders`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: this.webOrigin, cookie: `sid=${sid}` },
        body: '{}',
      },
      (status) => status === 401,
      BROWSER_TIMEOUT_MS,
    )
    return stale?.status === 401
  }
}
