import { timingSafeEqual } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { decodeJwt } from '@stateless-auth/experiments'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { WebConfig } from '../config.js'
import { IssuerMismatch, LoginFailed } from '../errors.js'
import type { IssuerEndpoints } from '../oauth/metadata.js'
import { flowCookies } from '../oauth/plugin.js'
import { dpopTokenRequest, sessionKey } from '../oauth/tokens.js'
import { CallbackQuery, LogoutBody } from '../schemas/pages.js'
import { SESSION_COOKIE, sessionCookieOptions } from '../session/plugin.js'
import type { SessionData } from '../session/store.js'
import { refuseOtherOrigins } from './origin.js'

export interface AuthRouteOptions {
  config: WebConfig
  endpoints: IssuerEndpoints
}

/** RFC 6749 §4.1.2.1 and OIDC Core §3.1.2.6 error codes, each with what this app says about it. */
const CALLBACK_ERRORS: Record<string, string> = {
  access_denied: 'access_denied: You declined the request, or the auth-server refused it.',
  login_required: 'login_required: The auth-server needs you to sign in first.',
  consent_required: 'consent_required: The auth-server needs your consent first.',
  invalid_request: 'invalid_request: The auth-server found the sign-in request malformed.',
  server_error: 'server_error: The auth-server failed; try again later.',
  temporarily_unavailable: 'temporarily_unavailable: The auth-server is busy; try again later.',
}

/** The fixed message for an authorization-response error code; any other code gets a generic one. */
export function callbackErrorMessage(code: string): string {
  return Object.hasOwn(CALLBACK_ERRORS, code)
    ? CALLBACK_ERRORS[code]!
    : 'The sign-in did not complete (the auth-server sent an error this app does not know).'
}

/** Where the auth-server sends the browser after sign-out; registered as the web client's post_logout_redirect_uri. */
export const postLogoutRedirectUri = (config: WebConfig) => `${config.publicUrl}/`

/** The `state` of the sign-out round trip: the page says "signed out" when the browser comes back with it. */
export const SIGNED_OUT_STATE = 'signed-out'

/** Sign-in (`/login`, `/auth/callback`) and sign-out (`/logout`), on the OAuth client `app.webOAuth2`. */
export const authRoutes: FastifyPluginAsyncTypebox<AuthRouteOptions> = async (app, { config, endpoints }) => {
  app.get('/login', async (request, reply) => {
    const uri = new URL(await app.webOAuth2.generateAuthorizationUri(request, reply))
    // RFC 8707 §2: one `resource` per API the grant must cover; simple-oauth2 cannot repeat a parameter.
    uri.searchParams.delete('resource')
    uri.searchParams.append('resource', config.ordersAudience)
    uri.searchParams.append('resource', config.inventoryAudience)
    return reply.redirect(uri.toString())
  })

  app.get('/auth/callback', { schema: { querystring: CallbackQuery } }, async (request, reply) => {
    const query = request.query
    // RFC 9207 §2.4: compare `iss` before anything else in the response is trusted.
    if (query.iss !== undefined ? query.iss !== endpoints.issuer : endpoints.issParameterSupported) {
      throw new IssuerMismatch(query.iss ?? '(none)', endpoints.issuer)
    }
    // The error_description is the sender's text, and anyone can send a browser here with any: a fixed message
    // per error code only (issue 12, item 10), so this page cannot be made to say something we did not write.
    if (query.error !== undefined) throw new LoginFailed(callbackErrorMessage(query.error))
    if (query.code === undefined || query.state === undefined) {
      throw new LoginFailed('the callback needs code and state')
    }
    // The code is redeemed here rather than by @fastify/oauth2, which cannot send a `DPoP` proof (RFC 9449 §5);
    // its state and PKCE cookies are checked as it would: the signed state must equal the callback's, once.
    const names = flowCookies(config.publicUrl.startsWith('https:'))
    const signed = (name: string) => {
      const raw = request.cookies[name]
      const unsigned = raw === undefined ? undefined : request.unsignCookie(raw)
      return unsigned?.valid ? (unsigned.value ?? undefined) : undefined
    }
    const state = signed(names.state)
    const verifier = signed(names.verifier)
    const cookieOptions = { path: '/', ...(names.state.startsWith('__Host-') ? { secure: true } : {}) }
    reply.clearCookie(names.state, cookieOptions)
    reply.clearCookie(names.verifier, cookieOptions)
    const same = (a: string, b: string) =>
      a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b))
    if (state === undefined || !same(state, query.state)) throw new LoginFailed('Invalid state')
    if (verifier === undefined) throw new LoginFailed('the PKCE verifier cookie is missing')
    // One DPoP key per session, made here and kept with the session, server-side only.
    const dpop: Pick<SessionData, 'dpopKey'> = {}
    const key = sessionKey(dpop)
    let t: Record<string, unknown>
    try {
      t = await dpopTokenRequest(app.tokens.endpoint, key, {
        grant_type: 'authorization_code',
        code: query.code,
        redirect_uri: `${config.publicUrl}/auth/callback`,
        code_verifier: verifier,
        resource: config.ordersAudience,
      })
    } catch (err) {
      throw new LoginFailed((err as Error).message)
    }
    const claims = decodeJwt(String(t.access_token))?.payload ?? {}
    // The ID token came straight from the token endpoint over the back channel (OIDC Core §3.1.3.7 lets TLS
    // stand in for its signature here); we only read the display name from it.
    const idClaims = typeof t.id_token === 'string' ? (decodeJwt(t.id_token)?.payload ?? {}) : {}
    const sub = String(claims.sub ?? idClaims.sub ?? '')
    const data: SessionData = {
      sub,
      username: String(idClaims.preferred_username ?? idClaims.name ?? sub),
      scope: typeof t.scope === 'string' ? t.scope : String(claims.scope ?? ''),
      refreshToken: typeof t.refresh_token === 'string' ? t.refresh_token : undefined,
      ...(typeof t.id_token === 'string' ? { idToken: t.id_token } : {}),
      dpopKey: dpop.dpopKey,
      tokens: {
        orders: {
          accessToken: String(t.access_token),
          expiresAt: Math.floor(Date.now() / 1000) + Number(t.expires_in ?? 0),
        },
      },
    }
    const id = await app.sessions.create(data)
    reply.setCookie(SESSION_COOKIE, id, sessionCookieOptions(config))
    return reply.redirect('/')
  })

  // The sign-out form is the only form this app receives: its parser lives in this plugin's scope alone, so the
  // JSON routes keep refusing form bodies (415), and it parses the body rather than dropping it.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 1024 },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  )
  // Same rule as the JSON routes (issue 12, item 9): a request that says it comes from another origin is refused,
  // checked on the headers before the body is read, so a same-site page cannot sign the user out.
  const sameOrigin = refuseOtherOrigins(new URL(config.publicUrl).origin)
  const onRequest = async (request: FastifyRequest, reply: FastifyReply) => {
    if (sameOrigin(request, reply)) return reply
  }
  // Sign-out ends this app's session, revokes its refresh token, then sends the browser to the auth-server's
  // end_session_endpoint (OpenID Connect RP-Initiated Logout 1.0), which ends the sign-in session there too and
  // sends it back (issue 12, item 4): otherwise the next "Sign in" would return a code without a password.
  app.post('/logout', { schema: { body: LogoutBody }, onRequest }, async (request, reply) => {
    const id = request.sessionId
    const ended = id ? await app.tokens.logout(id) : {}
    if (ended.refusal) {
      request.log.warn(
        { refusal: ended.refusal },
        'refresh-token revocation failed; the session is gone anyway',
      )
    }
    reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(config))
    if (endpoints.endSessionEndpoint === undefined || ended.idToken === undefined) {
      return reply.redirect('/?signed-out=1', 303)
    }
    const endSession = new URL(endpoints.endSessionEndpoint)
    endSession.searchParams.set('id_token_hint', ended.idToken)
    // §3: registered for this client, compared exactly; `state` comes back with the browser.
    endSession.searchParams.set('post_logout_redirect_uri', postLogoutRedirectUri(config))
    endSession.searchParams.set('client_id', config.clientId)
    endSession.searchParams.set('state', SIGNED_OUT_STATE)
    return reply.redirect(endSession.toString(), 303)
  })
}
