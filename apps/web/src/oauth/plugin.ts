import oauthPlugin, { type OAuth2Namespace, type OAuth2Token } from '@fastify/oauth2'
import { decodeJwt } from '@stateless-auth/experiments'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { WebConfig } from '../config.js'
import { IssuerMismatch, LoginFailed } from '../errors.js'
import { SESSION_COOKIE, sessionCookieOptions } from '../session/plugin.js'
import type { SessionData, SessionStore } from '../session/store.js'
import type { IssuerEndpoints } from './metadata.js'
import { createTokenService, refusalOf, type TokenService } from './tokens.js'

declare module 'fastify' {
  interface FastifyInstance {
    tokens: TokenService
    webOAuth2: OAuth2Namespace
  }
}

export const SCOPES = ['openid', 'profile', 'offline_access', 'orders:read', 'orders:write', 'inventory:read']

export interface OAuthPluginOptions {
  config: WebConfig
  endpoints: IssuerEndpoints
  store: SessionStore
}

const path = (url: string) => {
  const u = new URL(url)
  return { host: u.origin, path: u.pathname }
}

/**
 * Sign-in with `@fastify/oauth2`: authorization code + PKCE S256 (RFC 7636), `state` in a signed cookie, the
 * browser sent to the public authorize endpoint while the code is redeemed at the internal token endpoint.
 */
async function oauth(app: FastifyInstance, { config, endpoints, store }: OAuthPluginOptions) {
  const authorize = path(endpoints.authorizationEndpoint)
  const token = path(endpoints.tokenEndpoint)
  const secure = config.publicUrl.startsWith('https:')
  await app.register(oauthPlugin, {
    name: 'webOAuth2',
    scope: SCOPES,
    credentials: {
      client: { id: config.clientId, secret: config.clientSecret },
      auth: {
        authorizeHost: authorize.host,
        authorizePath: authorize.path,
        tokenHost: token.host,
        tokenPath: token.path,
        ...(endpoints.revocationEndpoint ? { revokePath: path(endpoints.revocationEndpoint).path } : {}),
      },
    },
    callbackUri: `${config.publicUrl}/auth/callback`,
    // RFC 8707 §2.2: the code is redeemed for the orders API; the inventory token comes from a refresh.
    tokenRequestParams: { resource: config.ordersAudience },
    pkce: 'S256',
    // `__Host-` cookies can only be set by a secure origin, so the prefix is used when the app is served on https.
    hostPrefixedCookies: secure,
    cookie: { signed: true, secure, sameSite: 'lax', httpOnly: true, path: '/' },
    userAgent: 'stateless-auth-web',
  })

  const tokens = createTokenService({
    oauth: app.webOAuth2,
    store,
    audiences: { orders: config.ordersAudience, inventory: config.inventoryAudience },
    refreshMargin: config.refreshMargin,
  })
  app.decorate('tokens', tokens)

  app.get('/login', async (request, reply) => {
    const uri = new URL(await app.webOAuth2.generateAuthorizationUri(request, reply))
    // RFC 8707 §2: one `resource` per API the grant must cover; simple-oauth2 cannot repeat a parameter.
    uri.searchParams.delete('resource')
    uri.searchParams.append('resource', config.ordersAudience)
    uri.searchParams.append('resource', config.inventoryAudience)
    return reply.redirect(uri.toString())
  })

  app.get(
    '/auth/callback',
    async (request: FastifyRequest<{ Querystring: Record<string, unknown> }>, reply) => {
      const query = request.query
      // RFC 9207 §2.4: compare `iss` before anything else in the response is trusted.
      const iss = typeof query.iss === 'string' ? query.iss : undefined
      if (iss !== undefined ? iss !== endpoints.issuer : endpoints.issParameterSupported) {
        throw new IssuerMismatch(iss ?? '(none)', endpoints.issuer)
      }
      if (typeof query.error === 'string') {
        const description = typeof query.error_description === 'string' ? `: ${query.error_description}` : ''
        throw new LoginFailed(`${query.error}${description}`)
      }
      if (typeof query.code !== 'string' || typeof query.state !== 'string') {
        throw new LoginFailed('the callback needs code and state')
      }
      let result: OAuth2Token
      try {
        result = await app.webOAuth2.getAccessTokenFromAuthorizationCodeFlow(request, reply)
      } catch (err) {
        const refusal = refusalOf(err)
        throw new LoginFailed(
          refusal ? `${refusal.error} ${refusal.error_description ?? ''}`.trim() : (err as Error).message,
        )
      }
      const t = result.token as unknown as Record<string, unknown>
      if (typeof t.access_token !== 'string') throw new LoginFailed('no access_token in the token response')
      const claims = decodeJwt(t.access_token)?.payload ?? {}
      // The ID token came straight from the token endpoint over the back channel (OIDC Core §3.1.3.7 lets TLS
      // stand in for its signature here); we only read the display name from it.
      const idClaims = typeof t.id_token === 'string' ? (decodeJwt(t.id_token)?.payload ?? {}) : {}
      const sub = String(claims.sub ?? idClaims.sub ?? '')
      const data: SessionData = {
        sub,
        username: String(idClaims.preferred_username ?? idClaims.name ?? sub),
        scope: typeof t.scope === 'string' ? t.scope : String(claims.scope ?? ''),
        refreshToken: typeof t.refresh_token === 'string' ? t.refresh_token : undefined,
        tokens: {
          orders: {
            accessToken: t.access_token,
            expiresAt: Math.floor(Date.now() / 1000) + Number(t.expires_in ?? 0),
          },
        },
      }
      const id = await store.create(data)
      reply.setCookie(SESSION_COOKIE, id, sessionCookieOptions(config))
      return reply.redirect('/')
    },
  )

  // The sign-out form posts no fields; accept its content type without parsing anything out of it.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, _body, done) =>
    done(null, {}),
  )
  app.post('/logout', async (request: FastifyRequest, reply: FastifyReply) => {
    const id = request.sessionId
    if (id) {
      const refusal = await tokens.logout(id)
      if (refusal)
        request.log.warn({ refusal }, 'refresh-token revocation failed; the session is gone anyway')
    }
    reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(config))
    return reply.redirect('/?signed-out=1', 303)
  })
}

export default fp(oauth, { name: 'web-oauth', fastify: '5.x', dependencies: ['web-session'] })
