import type { GrantType } from '../storage/index.js'
import * as authorizationCode from './authorization-code.js'
import * as clientCredentials from './client-credentials.js'
import type { GrantHandler } from './issue.js'
import * as refreshToken from './refresh-token.js'

/** The grants this server implements; RFC 9700 §2.4 and §2.1.2 rule out the password and implicit grants. */
export const grants: Record<GrantType, GrantHandler> = {
  [authorizationCode.grantType]: authorizationCode.handler,
  [refreshToken.grantType]: refreshToken.handler,
  [clientCredentials.grantType]: clientCredentials.handler,
}
