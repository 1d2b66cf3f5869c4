/**
 * The logger options of every service: structured JSON for pino with ONE redaction list, so credentials never
 * reach a log line (RFC 6750 §5.3: a bearer token is as good as the access it grants), pretty-printed only when
 * stdout is a terminal (a container or CI gets JSON lines).
 */
import type { FastifyServerOptions } from 'fastify'

/** Headers that carry credentials: bearer and DPoP tokens, session cookies, DPoP nonces. */
const SECRET_HEADERS = ['authorization', 'cookie', 'set-cookie', 'dpop', 'dpop-nonce']

/** Body fields and query parameters that carry credentials or one-time values. */
export const SECRET_FIELDS = [
  'code',
  'state',
  'access_token',
  'refresh_token',
  'id_token',
  'token',
  'code_verifier',
  'client_secret',
  'password',
] as const

const headerPaths = (prefix: string) => SECRET_HEADERS.map((name) => `${prefix}["${name}"]`)

// At the top level of a log object only the unambiguous names: `code` there is an error code, worth keeping.
const TOP_LEVEL = SECRET_FIELDS.filter((field) => field !== 'code' && field !== 'state' && field !== 'token')

/**
 * Paths pino replaces with `[redacted]`: request and response headers as fastify logs them, any object logged
 * with a `headers` field, the secret fields of a logged `body` or `query`, and tokens logged at top level.
 */
export const REDACTED_PATHS = [
  ...headerPaths('req.headers'),
  ...headerPaths('res.headers'),
  ...headerPaths('headers'),
  ...SECRET_FIELDS.flatMap((field) => [`body.${field}`, `query.${field}`, `req.body.${field}`]),
  ...TOP_LEVEL,
  'authorization',
]

const SECRET_QUERY = new RegExp(`([?&](?:${SECRET_FIELDS.join('|')})=)[^&#]*`, 'gi')

/**
 * A URL with the values of its secret query parameters replaced (RFC 6750 §2.3 lets a token travel in the query
 * string; we never accept it there, but a URL holding one, or an authorization `code`, must not be logged).
 */
export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, '$1[redacted]')
}

interface LoggedRequest {
  method?: unknown
  url?: unknown
  host?: unknown
  ip?: unknown
  id?: unknown
}

export type LoggerOptions = Exclude<FastifyServerOptions['logger'], boolean | undefined>

/**
 * Logger options for fastify.
 *
 * @example
 * ```ts
 * const app = await buildApp(config, { logger: loggerOptions(config.logLevel) })
 * ```
 */
export function loggerOptions(level: string, isTty = Boolean(process.stdout.isTTY)): LoggerOptions {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: {
      // Only these fields, never headers: anything logged as `req` goes through here, not just fastify's.
      req: (raw: object) => {
        const req = raw as LoggedRequest
        const text = (value: unknown) => (typeof value === 'string' ? value : undefined)
        return {
          id: req.id,
          method: text(req.method),
          url: typeof req.url === 'string' ? redactUrl(req.url) : undefined,
          host: text(req.host),
          remoteAddress: text(req.ip),
        }
      },
    },
    ...(isTty ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l' } } } : {}),
  }
}
