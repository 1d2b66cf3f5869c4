import { html, type SafeHtml } from '@stateless-auth/service-kit/html'
import type { AuthorizationRequest } from '../oauth/authorization-request.js'
import { layout } from './html.js'

const SCOPE_DESCRIPTIONS: Record<string, string> = {
  openid: 'Confirm who you are',
  profile: 'See your name and username',
  offline_access: 'Stay signed in (refresh tokens)',
  'orders:read': 'View your orders',
  'orders:write': 'Place orders for you',
  'inventory:read': 'View stock levels',
  'inventory:write': 'Reserve stock',
}

function hidden(name: string, value: string): SafeHtml {
  return html`<input type="hidden" name="${name}" value="${value}">`
}

export function loginPage(options: {
  request: AuthorizationRequest
  csrfToken: string
  username?: string
  error?: string
}): string {
  const { request, csrfToken, username, error } = options
  return layout(
    'Sign in',
    html`<h1>Sign in to continue to ${request.client.client_name}</h1>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form method="post" action="/login">
${hidden('_csrf', csrfToken)}${hidden('return_to', request.query)}
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" required maxlength="128" value="${username ?? ''}" ${username ? '' : 'autofocus'}>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required maxlength="1024">
<button type="submit">Sign in</button>
</form>`,
  )
}

export function consentPage(options: {
  request: AuthorizationRequest
  csrfToken: string
  username: string
}): string {
  const { request, csrfToken, username } = options
  return layout(
    'Allow access?',
    html`<h1>${request.client.client_name} wants access to your account</h1>
<p>Signed in as <strong>${username}</strong>. It asks to:</p>
<ul class="scopes">${request.scopes.map((s) => html`<li>${SCOPE_DESCRIPTIONS[s] ?? s} <span class="muted">(${s})</span></li>`)}</ul>
<p class="muted">For: ${request.resources.join(', ')}</p>
<form method="post" action="/consent">
${hidden('_csrf', csrfToken)}${hidden('return_to', request.query)}
<div class="actions">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</div>
</form>`,
  )
}

export function errorPage(title: string, message: string): string {
  return layout(title, html`<h1>${title}</h1><p class="error" role="alert">${message}</p>`)
}

export function logoutConfirmPage(options: {
  csrfToken: string
  clientId: string | undefined
  redirectUri: string | undefined
  state: string | undefined
}): string {
  const { csrfToken, clientId, redirectUri, state } = options
  return layout(
    'Sign out?',
    html`<h1>Sign out of Stateless Auth?</h1>
<form method="post" action="/logout/confirm">
${hidden('_csrf', csrfToken)}${clientId ? hidden('client_id', clientId) : ''}${redirectUri ? hidden('post_logout_redirect_uri', redirectUri) : ''}${state ? hidden('state', state) : ''}
<button type="submit">Sign out</button>
</form>`,
  )
}

export function signedOutPage(): string {
  return layout('Signed out', html`<h1>You are signed out</h1><p>You can close this window.</p>`)
}
