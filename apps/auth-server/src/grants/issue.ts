import type { AuthServerContext } from '../context.js'
import { randomToken, sha256 } from '../crypto.js'
import type { Params } from '../oauth/params.js'
import type { TokenResponse } from '../schemas/token.js'
import { type Client, type Grant, isPublic, type User } from '../storage/index.js'
import type { AccessTokenRequest } from '../tokens.js'

/** `jkt`: the thumbprint of the request's verified DPoP proof key (RFC 9449), when it carried one. */
export type GrantHandler = (
  ctx: AuthServerContext,
  client: Client,
  params: Params,
  jkt: string | undefined,
) => Promise<TokenResponse>

/** Signs an access token and answers with it (RFC 6749 §5.1): what every grant's response starts with. */
export async function bearerResponse(
  ctx: AuthServerContext,
  request: AccessTokenRequest,
): Promise<TokenResponse> {
  const access = await ctx.tokens.accessToken(request)
  return {
    access_token: access.token,
    // RFC 9449 §5: a token bound to a proof key is a DPoP token.
    token_type: request.jkt === undefined ? 'Bearer' : 'DPoP',
    expires_in: access.claims.exp - access.claims.iat,
    scope: request.scope,
  }
}

/**
 * Issues what a user grant yields: an access token for one audience, a new refresh token in the grant's family
 * (when the client may refresh) and an ID token when `openid` was granted.
 */
export async function issueForGrant(
  ctx: AuthServerContext,
  options: {
    client: Client
    grant: Grant
    user: User
    audience: string
    scopes: string[]
    nonce?: string | null
    /** The thumbprint of the request's DPoP proof key, when it carried one. */
    jkt?: string | undefined
  },
): Promise<TokenResponse> {
  const { client, grant, user, audience, scopes } = options
  const scope = scopes.join(' ')
  const response = await bearerResponse(ctx, {
    subject: user.id,
    clientId: client.client_id,
    audience,
    scope,
    grantId: grant.id,
    authTime: grant.authTime,
    ...(options.jkt === undefined ? {} : { jkt: options.jkt }),
  })
  if (client.grant_types.includes('refresh_token')) {
    const refreshToken = randomToken()
    const now = ctx.now()
    await ctx.storage.refreshTokens.create({
      tokenHash: sha256(refreshToken),
      grantId: grant.id,
      clientId: client.client_id,
      createdAt: now,
      expiresAt: Math.min(now + ctx.config.refreshTokenIdleTtl, grant.expiresAt),
    })
    response.refresh_token = refreshToken
    // RFC 9449 §5: a public client's refresh tokens are bound to its proof key (a confidential client's are
    // already bound to its credentials); every refresh of the grant must prove the same key.
    if (options.jkt !== undefined && isPublic(client)) {
      await ctx.storage.dpopBindings.bind(`grant:${grant.id}`, options.jkt, grant.expiresAt)
    }
  }
  if (scopes.includes('openid')) {
    response.id_token = await ctx.tokens.idToken(
      user,
      client.client_id,
      scopes,
      grant.authTime,
      options.nonce,
    )
  }
  return response
}
