/** A JWT split into its decoded parts; nothing here checks the signature (the APIs do that). */
export interface DecodedJwt {
  header: Record<string, unknown>
  payload: Record<string, unknown>
  signature: string
}

const part = (segment: string) => {
  const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new Error('not a JSON object')
  return value as Record<string, unknown>
}

/** Decodes a compact JWS without verifying it; `undefined` when it is not one. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const segments = token.split('.')
  if (segments.length !== 3) return undefined
  try {
    return { header: part(segments[0]!), payload: part(segments[1]!), signature: segments[2]! }
  } catch {
    return undefined
  }
}

/**
 * The same token with one claim changed and the original signature kept: what an attacker who edits a token
 * produces. Any verifier must refuse it (RFC 7515 §5.2: the signature covers the encoded header and payload).
 */
export function tamper(token: string, claim: string, value: unknown): string {
  const [header, payload, signature] = token.split('.')
  const claims = part(payload ?? '')
  claims[claim] = value
  return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.')
}
