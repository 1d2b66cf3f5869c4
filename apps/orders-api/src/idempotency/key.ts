import { createHash } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { InvalidIdempotencyKeyError } from '../errors.js'

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key'
export const MAX_KEY_LENGTH = 255

// A bare key (Stripe-style, still common): characters that can never be mistaken for Structured Field syntax.
const BARE_KEY = /^[A-Za-z0-9._~:+/=-]+$/

/**
 * The request's `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header, "Syntax": an Item Structured Header
 * whose value is a String, RFC 8941 §3.3.3), or undefined when there is none. Also accepted, for the clients that send
 * it that way, is a bare key of URL-safe characters; `"k"` and `k` are the same key. Anything else — repeated,
 * empty, too long, parameters, control or non-ASCII characters — is a 400.
 */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const raw = request.raw.rawHeaders
  let count = 0
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === IDEMPOTENCY_KEY_HEADER) count++
  if (count === 0) return undefined
  // The draft's "Syntax": "Clients MUST NOT include more than one Idempotency-Key header field in the same request."
  if (count > 1) throw new InvalidIdempotencyKeyError('Idempotency-Key must be sent once')
  const value = request.headers[IDEMPOTENCY_KEY_HEADER]
  // RFC 8941 §4.2: leading and trailing spaces are discarded before parsing.
  const field = (Array.isArray(value) ? value[0] : value)?.replace(/^ +| +$/g, '') ?? ''
  const key = field.startsWith('"') ? parseString(field) : BARE_KEY.test(field) ? field : undefined
  if (key === undefined) {
    throw new InvalidIdempotencyKeyError(
      'Idempotency-Key must be a quoted string (RFC 8941 §3.3.3) such as "8e03978e-40d5-43e8-bc93-6894a57f9324"',
    )
  }
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new InvalidIdempotencyKeyError(`Idempotency-Key must hold 1 to ${MAX_KEY_LENGTH} characters`)
  }
  return key
}

/** RFC 8941 §4.2.5: a String holds printable ASCII, with `"` and `\` escaped by `\`; nothing may follow it. */
function parseString(field: string): string | undefined {
  let out = ''
  for (let i = 1; i < field.length; i++) {
    const char = field[i]!
    if (char === '\\') {
      const next = field[++i]
      if (next !== '"' && next !== '\\') return undefined
      out += next
    } else if (char === '"') {
      // Parameters (`;name=value`) are valid Item syntax, but the field defines none: refused, not ignored.
      return i === field.length - 1 ? out : undefined
    } else {
      const code = char.charCodeAt(0)
      if (code < 0x20 || code > 0x7e) return undefined
      out += char
    }
  }
  return undefined
}

/**
 * What makes two requests "the same" under one key (the draft's "Idempotency Fingerprint"): the order as the
 * schema validated it, so key order and whitespace in the JSON do not matter.
 */
export function orderFingerprint(body: { sku: string; quantity: number }): string {
  return createHash('sha256')
    .update(JSON.stringify([body.sku, body.quantity]))
    .digest('base64url')
}
