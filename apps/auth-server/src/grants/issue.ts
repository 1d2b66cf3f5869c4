import type { Queryable } from '@stateless-auth/sql'
import type { AuthServerContext } from '../context.js'
import { randomToken, sha256 } from '../crypto.js'
import type { Params } from '../oauth/params.js'
import type { TokenResponse } from '../schemas/token.js'
import { DpopBindingRepository } from '../storage/dpop.js'
import { type Client, type Grant, isPublic, type User } from '../storage/index.js'
import { RefreshTokenRepository, recordAccessToken } from '../storage/tokens.js'
import type { AccessTokenRequest, IssuedAccessToken } from '../tokens.js'

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
  return bearerBody(await ctx.tokens.accessToken(request), request)
}

function bearerBody(access: IssuedAccessToken, request: AccessTokenRequest): TokenResponse {
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
 * (when the client may refresh and `offline_access` was granted) and an ID token when `openid` was granted.
 * `redeem` uses up what the client presented (the code, the refresh token) inside the same transaction that
 * records what is issued, so a crash leaves either both or neither (issue 15, scenario 3); it throws to refuse,
 * and nothing is recorded then.
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
  redeem: (tx: Queryable) => Promise<void>,
): Promise<TokenResponse> {
  const { client, grant, user, audience, scopes } = options
  const request: AccessTokenRequest = {
    subject: user.id,
    clientId: client.client_id,
    audience,
    scope: scopes.join(' '),
    grantId: grant.id,
    authTime: grant.authTime,
    ...(options.jkt === undefined ? {} : { jkt: options.jkt }),
  }
  const { record, ...access } = await ctx.tokens.signAccessToken(request)
  const response = bearerBody(access, request)
  // OIDC Core §11: offline access (a refresh token) only when `offline_access` was granted (issue 12, item 13).
  // The grant's scope decides, not this request's: a refresh asking for less still rotates its token.
  const offline =
    client.grant_types.includes('refresh_token') && grant.scope.split(' ').includes('offline_access')
  const refreshToken = offline ? randomToken() : undefined
  if (scopes.includes('openid')) {
    response.id_token = await ctx.tokens.idToken(
      user,
      client.client_id,
      scopes,
      grant.authTime,
      options.nonce,
    )
  }
  await ctx.storage.db.transaction(async (tx) => {
    await redeem(tx)
    await recordAccessToken(tx, record)
    if (refreshToken === undefined) return
    const now = ctx.now()
    await new RefreshTokenRepository(tx).create({
      tokenHash: sha256(refreshToken),
      grantId: grant.id,
      clientId: client.client_id,
      createdAt: now,
      expiresAt: Math.min(now + ctx.config.refreshTokenIdleTtl, grant.expiresAt),
    })
    // RFC 9449 §5: a public client's refresh tokens are bound to its proof key (a confidential client's are
    // already bound to its credentials); every refresh of the grant must prove the same key.
    if (options.jkt !== undefined && isPublic(client)) {
      await new DpopBindingRepository(tx).bind(`grant:${grant.id}`, options.jkt, grant.expiresAt)
    }
  })
  if (refreshToken !== undefined) response.refresh_token = refreshToken
  return response
}
