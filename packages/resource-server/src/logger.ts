import type { FastifyServerOptions } from 'fastify'

/**
 * Paths pino replaces with `[redacted]`: credentials must never reach a log line (RFC 6750 §5.3: bearer
 * tokens are as good as the access they grant). Covers fastify's request/response objects and any object a
 * route logs with a `headers` field.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers.dpop',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'authorization',
  'access_token',
  'client_secret',
]

// RFC 6750 §2.3 lets a token travel in the query string; we never accept it, but a URL holding one must not be
// logged either.
function redactUrl(url: string): string {
  return url.replace(/([?&](?:access_token|token|code|client_secret)=)[^&#]*/gi, '$1[redacted]')
}

interface LoggedRequest {
  method?: unknown
  url?: unknown
  host?: unknown
  ip?: unknown
  id?: unknown
}

/**
 * Logger options for fastify: structured JSON, tokens and cookies redacted, pretty-printed only when stdout is
 * a terminal (a container or CI gets JSON lines).
 */
export function loggerOptions(
  level: string,
  isTty = Boolean(process.stdout.isTTY),
): Exclude<FastifyServerOptions['logger'], boolean | undefined> {
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
