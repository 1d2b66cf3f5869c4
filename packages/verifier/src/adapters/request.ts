import type { IncomingMessage } from 'node:http'
import type { TLSSocket } from 'node:tls'
import type { DpopRequest } from '../dpop/proof.js'
import type { ResolvedDpop } from '../options.js'

/**
 * Every line of a header. Node keeps only the first `Authorization` in `req.headers` and joins repeated unknown
 * headers, so a second line (RFC 9110 §11.6.2 does not allow one; a proxy in front may have read it instead of the
 * first) would otherwise go unseen; returned as an array, the parsers refuse it.
 */
export function headerLines(req: IncomingMessage, name: string): string | string[] | undefined {
  const raw = req.rawHeaders
  if (!Array.isArray(raw)) return req.headers[name] as string | string[] | undefined
  let found: string | string[] | undefined
  for (let i = 0; i < raw.length - 1; i += 2) {
    const header = raw[i]
    if (header?.length !== name.length || header.toLowerCase() !== name) continue
    const value = raw[i + 1] ?? ''
    found = found === undefined ? value : [...[found].flat(), value]
  }
  return found ?? (req.headers[name] as string | string[] | undefined)
}

const first = (value: string | string[] | undefined): string | undefined =>
  (Array.isArray(value) ? value[0] : value)?.split(',')[0]?.trim() || undefined

// RFC 7239 §4: `Forwarded: for=…;proto=https;host=api.example.com, for=…` — the first element is the client's side.
function forwarded(req: IncomingMessage, param: 'proto' | 'host'): string | undefined {
  const element = first(req.headers.forwarded)
  if (element === undefined) return undefined
  for (const pair of element.split(';')) {
    const [key, value] = pair.split('=')
    if (key?.trim().toLowerCase() === param && value !== undefined) return value.trim().replace(/^"|"$/g, '')
  }
  return undefined
}

/**
 * The URL the client used (RFC 9449 `htu`): the configured public base URL plus the request path, or the scheme and
 * host of trusted forwarded headers, or the request's own scheme and `Host`.
 */
function requestUrl(req: IncomingMessage, dpop: ResolvedDpop): string {
  const target = req.url ?? '/'
  // Absolute-form request targets (RFC 9112 §3.2.2) carry their own scheme and host: only the path counts here.
  const path = target.startsWith('/') ? target : safePath(target)
  if (dpop.publicUrl !== undefined) return `${dpop.publicUrl}${path}`
  let scheme = (req.socket as TLSSocket | undefined)?.encrypted === true ? 'https' : 'http'
  let host = req.headers.host
  if (dpop.trustForwardedHeaders) {
    scheme = forwarded(req, 'proto') ?? first(req.headers['x-forwarded-proto']) ?? scheme
    host = forwarded(req, 'host') ?? first(req.headers['x-forwarded-host']) ?? host
  }
  return `${scheme}://${host ?? ''}${path}`
}

function safePath(target: string): string {
  try {
    return new URL(target).pathname
  } catch {
    return '/'
  }
}

/** The request as a DPoP proof is checked against; the URL is built only if a proof is checked. */
export function dpopRequest(req: IncomingMessage, dpop: ResolvedDpop): DpopRequest {
  return {
    method: req.method ?? 'GET',
    get url() {
      return requestUrl(req, dpop)
    },
    get dpop() {
      return headerLines(req, 'dpop')
    },
  }
}
