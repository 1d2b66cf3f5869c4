import createError from '@fastify/error'

/**
 * Every error the web app answers with, each with a stable code and its HTTP status. The JSON routes under
 * `/api` send `{ error, error_description }`; the HTML routes render the same message on an error page.
 */
export const ConfigError = createError('WEB_ERR_CONFIG', 'invalid configuration: %s', 500)
export const NotSignedIn = createError('WEB_ERR_NOT_SIGNED_IN', 'sign in first', 401)
export const LoginFailed = createError('WEB_ERR_LOGIN_FAILED', 'sign-in failed: %s', 400)
/** RFC 9207 §2.4: an authorization response from another issuer is refused (mix-up defence). */
export const IssuerMismatch = createError(
  'WEB_ERR_ISSUER_MISMATCH',
  'authorization response from %s, expected %s',
  400,
)
export const DiscoveryFailed = createError('WEB_ERR_DISCOVERY', 'authorization-server metadata: %s', 503)
export const AuthServerUnreachable = createError(
  'WEB_ERR_AUTH_SERVER_UNREACHABLE',
  'the auth-server could not be reached for a new token: %s',
  503,
)
export const UnknownExperiment = createError('WEB_ERR_UNKNOWN_EXPERIMENT', 'no experiment named %s', 404)
