import { sha256 } from '../crypto.js'
import { InvalidGrant, type OAuthError } from '../errors.js'
import {
  grantedResources,
  optional,
  required,
  resolveAudience,
  resolveScopes,
  resourceList,
} from '../oauth/params.js'
import { RefreshTokenRepository } from '../storage/tokens.js'
import { type GrantHandler, issueForGrant } from './issue.js'

export const grantType = 'refresh_token'

/**
 * RFC 6749 §6 with RFC 9700 §4.14.2: every use rotates the token; presenting a rotated one again means two
 * parties hold it, so the whole family (the grant) is revoked. The user is re-checked on every refresh.
 */
export const handler: GrantHandler = async (ctx, client, params, jkt) => {
  const tokenHash = sha256(required(params, 'refresh_token'))
  const scopeParam = optional(params, 'scope')
  const requestedResources = resourceList(params)

  // Checked before rotating, so another client cannot burn a token it happens to hold.
  const existing = await ctx.storage.refreshTokens.find(tokenHash)
  if (!existing || existing.clientId !== client.client_id) throw new InvalidGrant('refresh token is invalid')
  // RFC 9449 §5: checked before rotating too, so a thief without the key cannot burn the token.
  const boundTo = await ctx.storage.dpopBindings.find(`grant:${existing.grantId}`)
  if (boundTo !== undefined && boundTo !== jkt) {
    throw new InvalidGrant(
      jkt === undefined
        ? 'refresh token is bound to a DPoP key: send a DPoP proof'
        : 'refresh token is bound to another DPoP key',
    )
  }

  const now = ctx.now()
  const reused = async (): Promise<never> => {
    await ctx.storage.grants.revoke(existing.grantId, now)
    throw new InvalidGrant('refresh token was already used; its whole family is revoked')
  }
  if (existing.rotatedAt !== null) return reused()
  if (existing.revokedAt !== null) throw new InvalidGrant('refresh token is invalid')
  // A refresh refused from here on uses the token up, as a rotation would.
  const refuse = async (error: OAuthError): Promise<never> => {
    const burnt = await ctx.storage.refreshTokens.rotate(tokenHash, now)
    if (burnt.status === 'replayed' && burnt.value.rotatedAt !== null) return reused()
    throw error
  }
  if (existing.expiresAt <= now) return refuse(new InvalidGrant('refresh token has expired'))
  const grant = await ctx.storage.grants.find(existing.grantId)
  if (!grant || grant.revokedAt !== null) return refuse(new InvalidGrant('refresh token was revoked'))
  if (grant.expiresAt <= now) return refuse(new InvalidGrant('refresh token has expired'))
  const user = await ctx.storage.users.findById(grant.userId)
  if (!user || user.disabledAt !== null) {
    await ctx.storage.grants.revoke(grant.id, now)
    throw new InvalidGrant('the user may no longer sign in')
  }
  const granted = grant.scope.split(' ')
  // RFC 6749 §6: a refresh may narrow the scope, never widen it.
  const scopes = resolveScopes(scopeParam, granted, granted)
  const audience = resolveAudience(
    requestedResources,
    grantedResources(grant.resources, granted, ctx.config.issuer),
  )
  // The token is rotated in the transaction that records its successor: of concurrent uses exactly one wins, and
  // a crash leaves the old token live or rotated with its successor recorded, never a family without a live token.
  let lost: 'reused' | 'invalid' | undefined
  try {
    return await issueForGrant(ctx, { client, grant, user, audience, scopes, jkt }, async (tx) => {
      const rotation = await new RefreshTokenRepository(tx).rotate(tokenHash, now)
      if (rotation.status === 'won') return
      lost = rotation.status === 'replayed' && rotation.value.rotatedAt !== null ? 'reused' : 'invalid'
      throw new InvalidGrant('refresh token is invalid')
    })
  } catch (error) {
    if (lost === 'reused') return reused()
    throw error
  }
}
