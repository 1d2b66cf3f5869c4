import type { AuthServerConfig } from './config.js'
import type { SigningKeys } from './keys/signing-keys.js'
import type { LoginThrottle } from './oauth/login-throttle.js'
import type { StatusLists } from './status/status-lists.js'
import type { Storage } from './storage/index.js'
import type { TokenIssuer } from './tokens.js'

/** What every route needs, decorated once on the instance as `app.authServer`. */
export interface AuthServerContext {
  config: AuthServerConfig
  storage: Storage
  keys: SigningKeys
  tokens: TokenIssuer
  throttle: LoginThrottle
  statusLists: StatusLists
  /** Current time in epoch seconds (injectable for tests). */
  now(): number
}

declare module 'fastify' {
  interface FastifyInstance {
    authServer: AuthServerContext
    /**
     * On the public instance that `buildApp` returns: the instance serving `/admin/*`, to be listened on
     * `ADMIN_HOST:ADMIN_PORT`. Closing the public instance closes it too.
     */
    adminApp: FastifyInstance
  }
}
