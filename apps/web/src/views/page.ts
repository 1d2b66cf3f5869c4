import { decodeJwt } from '@stateless-auth/experiments'
import { html, type SafeHtml } from '@stateless-auth/service-kit/html'
import type { SessionData } from '../session/store.js'
import { diagram } from './diagram.js'

export interface PageOptions {
  session: SessionData | undefined
  issuer: string
  controlAvailable: boolean
  adminAvailable: boolean
  notice?: string
}

const EXPERIMENTS: { name: string; title: string; sentence: string }[] = [
  {
    name: 'tamper',
    title: 'Tamper with a claim',
    sentence:
      'Edit the token’s exp and keep its signature: the API checks the signature against the public key and refuses it.',
  },
  {
    name: 'audience',
    title: 'Use the orders token at inventory-api',
    sentence:
      'A genuine token for one API is refused by another, because its aud claim names only the first.',
  },
  {
    name: 'steal',
    title: 'Steal the token',
    sentence:
      'A thief replays a stolen Bearer token (it works until it expires) and the session’s DPoP-bound one: as Bearer, with the thief’s own proof, and with a captured proof. Each is refused.',
  },
  {
    name: 'expiry',
    title: 'Wait out the expiry',
    sentence:
      'Once the countdown reaches zero, an expired token gets a 401 from exp alone, then the BFF refreshes and retries.',
  },
  {
    name: 'disable',
    title: 'Disable the user, then refresh',
    sentence:
      'The auth-server re-checks the user on every refresh and refuses it, while the access token already out keeps working until it expires.',
  },
  {
    name: 'rotate',
    title: 'Rotate the signing key',
    sentence:
      'The auth-server publishes a new key and signs with it; each API fetches the JWKS once for the unknown kid.',
  },
  {
    name: 'revoke',
    title: 'Revoke now',
    sentence:
      'The web app revokes both access tokens at the auth-server; each API refuses them after its next status-list fetch (one per ttl), without ever asking about a token. The timeline shows when.',
  },
  {
    name: 'stop',
    title: 'Stop the auth-server',
    sentence:
      'The APIs keep accepting valid tokens: they verify with cached public keys and never call the auth-server per request.',
  },
  {
    name: 'start',
    title: 'Start the auth-server again',
    sentence: 'It comes back with the same persisted keys.',
  },
]

function claimsTable(claims: Record<string, unknown>): SafeHtml {
  return html`<table><tbody>${Object.entries(claims).map(
    ([name, value]) =>
      html`<tr><th scope="row">${name}</th><td><code>${formatClaim(name, value)}</code></td></tr>`,
  )}</tbody></table>`
}

function formatClaim(name: string, value: unknown): string {
  if (
    (name === 'exp' || name === 'iat' || name === 'auth_time' || name === 'nbf') &&
    typeof value === 'number'
  ) {
    return `${value} (${new Date(value * 1000).toISOString()})`
  }
  return typeof value === 'string' ? value : JSON.stringify(value)
}

/**
 * The session's orders-api access token, decoded: header and claims only. The compact token (and so its signature)
 * is never rendered, since a page's HTML is readable by any script that runs on it (issue 12, item 13).
 */
export function tokenPanel(session: SessionData): SafeHtml {
  const held = session.tokens.orders
  const decoded = held && decodeJwt(held.accessToken)
  if (!held || !decoded) return html`<p>No access token held yet.</p>`
  const { header, payload } = decoded
  return html`<div id="token" data-exp="${String(payload.exp ?? held.expiresAt)}">
    <p class="countdown" aria-live="polite">Expires in <strong id="countdown">…</strong></p>
    <div class="cols">
      <section aria-labelledby="h-header"><h3 id="h-header">Header</h3>
        ${claimsTable({ alg: header.alg, kid: header.kid, typ: header.typ })}</section>
      <section aria-labelledby="h-claims"><h3 id="h-claims">Claims</h3>${claimsTable(payload)}</section>
    </div>
    <p id="signature-note">Signature: elided. The token itself, like the refresh token, never leaves the server:
    the page shows only what it says.</p>
  </div>`
}

export function renderPage(options: PageOptions): string {
  const { session } = options
  const body = session
    ? html`
    <section aria-labelledby="h-user" class="card">
      <h2 id="h-user">Signed in as <span id="username">${session.username}</span></h2>
      <p>Subject <code>${session.sub}</code>, scopes <code>${session.scope}</code>.</p>
      <form method="post" action="/logout"><button type="submit" id="logout">Sign out</button></form>
    </section>
    <section aria-labelledby="h-token" class="card">
      <h2 id="h-token">The access token the web app holds for orders-api</h2>
      <div id="token-panel">${tokenPanel(session)}</div>
    </section>
    <section aria-labelledby="h-apis" class="card">
      <h2 id="h-apis">Call the APIs through the web app</h2>
      <p>Each API checks the token’s signature with a public key it cached, and its issuer, audience and expiry —
      without calling the auth-server. Beside each answer: the key it used and its JWKS-fetch count, which stays flat.</p>
      <div class="buttons">
        <button type="button" data-url="/api/call/orders" data-target="result-orders" id="call-orders">GET /orders</button>
        <button type="button" data-url="/api/orders" data-target="result-orders" id="place-order">POST /orders (1 × widget-blue)</button>
        <button type="button" data-url="/api/call/inventory" data-target="result-inventory" id="call-inventory">GET /inventory</button>
      </div>
      <div id="result-orders" class="result" aria-live="polite"></div>
      <div id="result-inventory" class="result" aria-live="polite"></div>
    </section>
    <section aria-labelledby="h-exp" class="card">
      <h2 id="h-exp">Experiments</h2>
      <ol class="experiments">${EXPERIMENTS.map(
        (
          e,
        ) => html`<li><button type="button" data-url="/api/experiments/${e.name}" data-target="result-exp-${e.name}" data-kind="experiment" id="exp-${e.name}">${e.title}</button>
          <p>${e.sentence}${
            (e.name === 'stop' || e.name === 'start') && !options.controlAvailable
              ? ' Not available in this mode: run docker compose stop auth-server / start auth-server by hand, then call the APIs above.'
              : (e.name === 'disable' || e.name === 'rotate') && !options.adminAvailable
                ? ' Not available: this app has no ADMIN_TOKEN; use the auth-server CLI.'
                : ''
          }</p>
          <div id="result-exp-${e.name}" class="result" aria-live="polite"></div></li>`,
      )}</ol>
    </section>`
    : html`
    <section class="card">
      <h2>Sign in to start</h2>
      <p>Sign in at the auth-server (<code>${options.issuer}</code>) as <strong>alice</strong> or <strong>bob</strong>
      with the password <code>demo-password</code>.</p>
      <p><a class="button" href="/login" id="login">Sign in</a></p>
    </section>`
  return `<!doctype html>${html`<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Stateless auth demo</title>
  <link rel="stylesheet" href="/app.css">
  <script src="/app.js" defer></script>
</head>
<body>
  <header><h1>How does an API trust a token it never stored?</h1>
  <p>The auth-server signs a JWT with its private key; each API holds only the public keys and checks the token itself.</p></header>
  <main>
    ${options.notice ? html`<p class="notice" role="status">${options.notice}</p>` : ''}
    ${body}
    <section aria-labelledby="h-flow" class="card"><h2 id="h-flow">The flow</h2>${diagram}</section>
  </main>
</body>
</html>`}`
}

export function renderError(status: number, message: string): string {
  return `<!doctype html>${html`<html lang="en"><head><meta charset="utf-8"><title>Error ${status}</title>
<link rel="stylesheet" href="/app.css"></head><body><main class="card"><h1>Error ${status}</h1>
<p role="alert">${message}</p><p><a href="/">Back to the demo</a></p></main></body></html>`}`
}
