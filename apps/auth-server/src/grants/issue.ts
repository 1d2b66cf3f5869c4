import type { AuthServerContext } from '../context.js'
import { randomToken, sha256 } from '../crypto.js'
import type { Client, Grant, User } from '../storage/index.js'

/** RFC 6749 §5.1 successful token response. */
export interface TokenResponse {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
  scope: string
  refresh_token?: string
  id_token?: string
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
  },
): Promise<TokenResponse> {
  const { client, grant, user, audience, scopes } = options
  const scope = scopes.join(' ')
  const access = await ctx.tokens.accessToken({
    subject: user.id,
    clientId: client.client_id,
    audience,
    scope,
    grantId: grant.id,
    authTime: grant.authTime,
  })
  const response: TokenResponse = {
    access_token: access.token,
    token_type: 'Bearer',
    expires_in: access.claims.exp - access.claims.iat,
    scope,
  }
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
