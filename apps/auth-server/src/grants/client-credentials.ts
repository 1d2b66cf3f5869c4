import { UnauthorizedClient } from '../errors.js'
import { optional, resolveAudience, resolveResources, resolveScopes, resourceList } from '../oauth/params.js'
import { isPublic } from '../storage/index.js'
import { bearerResponse, type GrantHandler } from './issue.js'

export const grantType = 'client_credentials'

/** RFC 6749 §4.4: a confidential client acting for itself; `sub` is the client id and no refresh token is issued. */
export const handler: GrantHandler = async (ctx, client, params, jkt) => {
  if (isPublic(client)) throw new UnauthorizedClient('a public client cannot use client_credentials')
  const scopes = resolveScopes(optional(params, 'scope'), client.scopes, client.scopes)
  const requested = resourceList(params)
  const audience = resolveAudience(requested, resolveResources(requested, client))
  // RFC 6749 §4.4.3: no refresh token; the client itself is the subject.
  const scope = scopes.join(' ')
  return bearerResponse(ctx, {
    subject: client.client_id,
    clientId: client.client_id,
    audience,
    scope,
    grantId: null,
    ...(jkt === undefined ? {} : { jkt }),
  })
}
