import { verifierError } from './errors.js'

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token; b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
// The scheme is case-insensitive (RFC 7235 §2.1).
const BEARER = /^(?:Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*)$/i
const SCHEME = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)(?: |$)/

/** The token of an `Authorization` header and the scheme it came with. */
interface Credentials {
  scheme: 'Bearer' | 'DPoP'
  token: string
}

/**
 * Extracts the access token from an `Authorization` header value (RFC 6750 §2.1).
 * No header, or another auth scheme → `VERIFIER_ERR_NO_CREDENTIALS` (401 without an error attribute, §3.1);
 * a malformed or repeated Bearer header → `VERIFIER_ERR_INVALID_REQUEST` (400); an oversized value →
 * `VERIFIER_ERR_TOKEN_TOO_LARGE`, checked before any parsing.
 *
 * @example
 * ```ts
 * parseBearer('Bearer eyJhbGciOi...') // 'eyJhbGciOi...'
 * ```
 */
export function parseBearer(header: string | string[] | undefined, maxTokenLength = 8192): string {
  return parseCredentials(header, maxTokenLength, false).token
}

/**
 * {@link parseBearer}, also accepting the `DPoP` scheme (RFC 9449 §7.1, same token syntax) when `dpop` is true.
 */
export function parseCredentials(
  header: string | string[] | undefined,
  maxTokenLength: number,
  dpop: boolean,
): Credentials {
  if (header === undefined || header === '') {
    throw verifierError('VERIFIER_ERR_NO_CREDENTIALS', 'No access token was sent')
  }
  if (Array.isArray(header)) {
    // RFC 6750 §3.1: more than one way (or copy) of sending the token is an invalid_request.
    if (header.length !== 1 || header[0] === undefined) {
      throw verifierError('VERIFIER_ERR_INVALID_REQUEST', 'Only one Authorization header may be sent')
    }
    return parseCredentials(header[0], maxTokenLength, dpop)
  }
  // Scheme + token + a little slack for extra spaces: anything longer cannot hold a token we would accept.
  if (header.length > maxTokenLength + 64) {
    throw verifierError('VERIFIER_ERR_TOKEN_TOO_LARGE', `The access token exceeds ${maxTokenLength} bytes`)
  }
  const value = header.trim()
  const scheme = SCHEME.exec(value)?.[1]?.toLowerCase()
  if (scheme === undefined) {
    throw verifierError('VERIFIER_ERR_INVALID_REQUEST', 'The Authorization header is malformed')
  }
  if (scheme !== 'bearer' && !(dpop && scheme === 'dpop')) {
    throw verifierError('VERIFIER_ERR_NO_CREDENTIALS', 'No bearer access token was sent')
  }
  const name = scheme === 'bearer' ? 'Bearer' : 'DPoP'
  const token = BEARER.exec(value)?.[1]
  if (token === undefined) {
    throw verifierError(
      'VERIFIER_ERR_INVALID_REQUEST',
      `The Authorization header must be "${name} <token>"`,
      {
        scheme: name,
      },
    )
  }
  if (token.length > maxTokenLength) {
    throw verifierError('VERIFIER_ERR_TOKEN_TOO_LARGE', `The access token exceeds ${maxTokenLength} bytes`)
  }
  return { scheme: name, token }
}
