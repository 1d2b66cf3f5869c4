import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { DPOP_ALGS } from '../dpop/proofs.js'
import { SCOPES } from '../seed.js'

/**
 * RFC 8414 metadata (also served as OpenID Connect discovery) and the RFC 7517 JWK Set. Their replies carry no
 * response schema on purpose: both are open documents (a JWK's members depend on its key type, and metadata may
 * grow members a client looks for), and a schema's serializer would drop whatever it does not list.
 */
const metadata: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.authServer
  const issuer = ctx.config.issuer
  const document = {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
    revocation_endpoint: `${issuer}/revoke`,
    introspection_endpoint: `${issuer}/introspect`,
    userinfo_endpoint: `${issuer}/userinfo`,
    // OpenID Connect RP-Initiated Logout 1.0 §2.1
    end_session_endpoint: `${issuer}/logout`,
    scopes_supported: [...SCOPES],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    code_challenge_methods_supported: ['S256'],
    dpop_signing_alg_values_supported: [...DPOP_ALGS],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    subject_types_supported: ['public'],

    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'name', 'preferred_username'],
    prompt_values_supported: ['none', 'login', 'consent'],
    // RFC 9207 §3
    authorization_response_iss_parameter_supported: true,
    // draft-ietf-oauth-status-list §9.1: the only discovery the draft defines.
    status_list_aggregation_endpoint: ctx.statusLists.aggregationUri(),
  }
  const cacheControl = `public, max-age=${ctx.config.jwksMaxAge}`
  for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    app.get(path, async (_request, reply) => {
      reply.header('cache-control', cacheControl)
      // Every published key may sign an ID token (a pending one soon, a retired one until it is dropped):
      // after a SIGNING_ALG change the old algorithm still signs until the new key activates, and clients
      // refuse an ID token whose alg the metadata does not list (OIDC Discovery §3).
      const algs = [...new Set((await ctx.keys.jwks()).keys.map((key) => key.alg as string))]
      return { ...document, id_token_signing_alg_values_supported: algs }
    })
  }
  app.get('/jwks', async (_request, reply) => {
    reply.header('cache-control', cacheControl).type('application/jwk-set+json')
    return ctx.keys.jwks()
  })
}

export default metadata
