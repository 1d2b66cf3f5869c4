import type { AuthServerContext } from '../context.js'
import { UnauthorizedClient } from '../errors.js'
import {
  optional,
  type Params,
  resolveAudience,
  resolveResources,
  resolveScopes,
  resourceList,
} from '../oauth/params.js'
import { type Client, isPublic } from '../storage/index.js'
import { bearerResponse, type TokenResponse } from './issue.js'

export const grantType = 'client_credentials'

/** RFC 6749 §4.4: a confidential client acting for itself; `sub` is the client id and no refresh token is issued. */
export async function handler(
  ctx: AuthServerContext,
  client: Client,
  params: Params,
  jkt?: string,
): Promise<TokenResponse> {
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
