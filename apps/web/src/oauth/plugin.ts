import oauthPlugin, { type OAuth2Namespace } from '@fastify/oauth2'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { WebConfig } from '../config.js'
import type { SessionStore } from '../session/store.js'
import type { IssuerEndpoints } from './metadata.js'
import { createTokenService, type TokenService } from './tokens.js'

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

/** The cookies `@fastify/oauth2` keeps the `state` and the PKCE verifier in; `/auth/callback` reads them. */
export const flowCookies = (secure: boolean) => ({
  state: `${secure ? '__Host-' : ''}oauth2-redirect-state`,
  verifier: `${secure ? '__Host-' : ''}oauth2-code-verifier`,
})

const path = (url: string) => {
  const u = new URL(url)
  return { host: u.origin, path: u.pathname }
}

/**
 * The OAuth client, shared app-wide (the routes and the experiments use it): `app.webOAuth2` from
 * `@fastify/oauth2` and `app.tokens`, the session's tokens. Sign-in with `@fastify/oauth2`: authorization code + PKCE S256 (RFC 7636), `state` in a signed cookie, the
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
    redirectStateCookieName: flowCookies(secure).state,
    verifierCookieName: flowCookies(secure).verifier,
    cookie: { signed: true, secure, sameSite: 'lax', httpOnly: true, path: '/' },
    userAgent: 'stateless-auth-web',
  })

  const tokens = createTokenService({
    oauth: app.webOAuth2,
    endpoint: {
      url: endpoints.tokenEndpoint,
      // The auth-server checks a proof's htu against its public issuer URL, whatever address it was reached at.
      htu: `${endpoints.issuer}${new URL(endpoints.tokenEndpoint).pathname}`,
      clientId: config.clientId,
      clientSecret: config.clientSecret,
    },
    store,
    audiences: { orders: config.ordersAudience, inventory: config.inventoryAudience },
    refreshMargin: config.refreshMargin,
  })
  app.decorate('tokens', tokens)
}

export default fp(oauth, { name: 'web-oauth', fastify: '5.x', dependencies: ['web-session'] })
