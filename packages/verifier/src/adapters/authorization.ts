import type { IncomingMessage } from 'node:http'

/**
 * Every `Authorization` header line of a request. Node keeps only the first one in `req.headers`, so a second
 * line (which RFC 9110 §11.6.2 does not allow, and which a proxy in front may have read instead of the first)
 * would otherwise go unseen; returned as an array, {@link parseBearer} refuses it (RFC 6750 §3.1).
 */
export function authorizationHeader(req: IncomingMessage): string | string[] | undefined {
  const raw = req.rawHeaders
  if (!Array.isArray(raw)) return req.headers.authorization
  let found: string | string[] | undefined
  for (let i = 0; i < raw.length - 1; i += 2) {
    const name = raw[i]
    if (name?.length !== 13 || name.toLowerCase() !== 'authorization') continue
    const value = raw[i + 1] ?? ''
    found = found === undefined ? value : [...[found].flat(), value]
  }
  return found ?? req.headers.authorization
}
