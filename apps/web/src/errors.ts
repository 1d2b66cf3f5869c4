import { defineError } from '@stateless-auth/service-kit/errors'

/**
 * Every error the web app answers with, each with a stable code and its HTTP status, on the chassis' one error
 * base (`ServiceError`). The JSON routes under `/api` send `{ error, error_description }` with the code as
 * `error`; the HTML routes render the same message on an error page.
 */
export const NotSignedIn = defineError<[]>('WEB_ERR_NOT_SIGNED_IN', 401, 'sign in first')
export const LoginFailed = defineError<[string]>('WEB_ERR_LOGIN_FAILED', 400, 'sign-in failed: %s')
/** RFC 9207 §2.4: an authorization response from another issuer is refused (mix-up defence). */
export const IssuerMismatch = defineError<[string, string]>(
  'WEB_ERR_ISSUER_MISMATCH',
  400,
  'authorization response from %s, expected %s',
)
export const DiscoveryFailed = defineError<[string]>(
  'WEB_ERR_DISCOVERY',
  503,
  'authorization-server metadata: %s',
)
export const AuthServerUnreachable = defineError<[string]>(
  'WEB_ERR_AUTH_SERVER_UNREACHABLE',
  503,
  'the auth-server could not be reached for a new token: %s',
)
/** The token endpoint refused a refresh for something other than the refresh token (this app's client or proof). */
export const RefreshFailed = defineError<[string]>(
  'WEB_ERR_REFRESH_FAILED',
  502,
  'the auth-server refused to refresh this session’s tokens (the session is kept): %s',
)
export const UnknownExperiment = defineError<[string]>(
  'WEB_ERR_UNKNOWN_EXPERIMENT',
  404,
  'no experiment named %s',
)
