import { sha256 } from '../crypto.js'
import { InvalidGrant } from '../errors.js'
import {
  grantedResources,
  optional,
  required,
  resolveAudience,
  resolveScopes,
  resourceList,
} from '../oauth/params.js'
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
  const rotation = await ctx.storage.refreshTokens.rotate(tokenHash, now)
  if (rotation.status !== 'won') {
    if (rotation.status === 'replayed' && rotation.value.rotatedAt !== null) {
      await ctx.storage.grants.revoke(existing.grantId, now)
      throw new InvalidGrant('refresh token was already used; its whole family is revoked')
    }
    throw new InvalidGrant('refresh token is invalid')
  }
  if (existing.expiresAt <= now) throw new InvalidGrant('refresh token has expired')
  const grant = await ctx.storage.grants.find(existing.grantId)
  if (!grant || grant.revokedAt !== null) throw new InvalidGrant('refresh token was revoked')
  if (grant.expiresAt <= now) throw new InvalidGrant('refresh token has expired')
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
  return issueForGrant(ctx, { client, grant, user, audience, scopes, jkt })
}
