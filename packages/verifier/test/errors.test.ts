import { validateHeaderValue } from 'node:http'
import {
  ERROR_CODES,
  errorResponse,
  mapError,
  VerifierError,
  verifierError,
  wwwAuthenticate,
} from '@stateless-auth/verifier'
import { TokenError } from 'fast-jwt'
import { errors as joseErrors } from 'jose'
import { describe, expect, it } from 'vitest'

describe('WWW-Authenticate (RFC 6750 §3)', () => {
  it('has no error attribute when no credentials were sent', () => {
    expect(wwwAuthenticate(verifierError('VERIFIER_ERR_NO_CREDENTIALS', 'none'), { realm: 'api' })).toBe(
      'Bearer realm="api"',
    )
  })

  it('quotes and escapes the realm (RFC 7235 quoted-string)', () => {
    const header = wwwAuthenticate(verifierError('VERIFIER_ERR_NO_CREDENTIALS', 'none'), {
      realm: 'a "b" \\c',
    })
    expect(header).toBe('Bearer realm="a \\"b\\" \\\\c"')
  })

  it('keeps a configured realm to printable ASCII, so the header can always be sent', () => {
    const header = wwwAuthenticate(verifierError('VERIFIER_ERR_NO_CREDENTIALS', 'none'), {
      realm: 'café € api\u2028',
    })
    expect(header).toBe('Bearer realm="caf? ? api?"')
    // node:http refuses characters above U+00FF: sending such a header would throw instead of answering.
    expect(() => validateHeaderValue('www-authenticate', header ?? '')).not.toThrow()
  })

  it('keeps error_description within %x20-21 / %x23-5B / %x5D-7E', () => {
    const err = verifierError('VERIFIER_ERR_CLAIM_INVALID', 'bad "sub" \\ é\n')
    expect(wwwAuthenticate(err, { realm: 'api' })).toBe(
      `Bearer realm="api", error="invalid_token", error_description="bad 'sub' / ??"`,
    )
  })

  it('adds scope only for insufficient_scope, dropping invalid scope tokens', () => {
    const err = verifierError('VERIFIER_ERR_INSUFFICIENT_SCOPE', 'need more', {
      scope: ['orders:read', 'bad"one'],
    })
    expect(wwwAuthenticate(err)).toBe(
      'Bearer error="insufficient_scope", error_description="need more", scope="orders:read"',
    )
  })

  it('gives no challenge for 503', () => {
    expect(
      wwwAuthenticate(verifierError('VERIFIER_ERR_JWKS_UNAVAILABLE', 'down'), { realm: 'x' }),
    ).toBeUndefined()
  })
})

describe('errorResponse', () => {
  it('builds status, headers and the OAuth JSON body', () => {
    const res = errorResponse(verifierError('VERIFIER_ERR_JWKS_UNAVAILABLE', 'down', { retryAfter: 12 }))
    expect(res).toEqual({
      statusCode: 503,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        'retry-after': '12',
      },
      body: { error: 'temporarily_unavailable', error_description: 'down' },
    })
  })

  it('never produces a 500 for an unexpected error', () => {
    const res = errorResponse(new TypeError('boom'), { realm: 'api' })
    expect(res.statusCode).toBe(401)
    expect(res.body.error).toBe('invalid_token')
  })

  it('has a status and OAuth error for every code', () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      const err = new VerifierError(code as keyof typeof ERROR_CODES, 'x')
      expect(err.statusCode).toBe(spec.statusCode)
      expect(err.code).toMatch(/^VERIFIER_ERR_[A-Z_]+$/)
    }
  })
})

describe('mapError: third-party errors onto our codes', () => {
  const cases: Array<[string, unknown, string]> = [
    ['fast-jwt expired', new TokenError(TokenError.codes.expired, 'x'), 'VERIFIER_ERR_TOKEN_EXPIRED'],
    [
      'fast-jwt inactive (nbf)',
      new TokenError(TokenError.codes.inactive, 'x'),
      'VERIFIER_ERR_TOKEN_NOT_YET_VALID',
    ],
    [
      'fast-jwt bad typ',
      new TokenError(TokenError.codes.invalidType, 'Invalid typ.'),
      'VERIFIER_ERR_TYPE_INVALID',
    ],
    [
      'fast-jwt iss',
      new TokenError(TokenError.codes.invalidClaimValue, 'The iss claim value is not allowed.'),
      'VERIFIER_ERR_ISSUER_INVALID',
    ],
    [
      'fast-jwt aud',
      new TokenError(TokenError.codes.invalidClaimValue, 'None of aud claim values are allowed.'),
      'VERIFIER_ERR_AUDIENCE_INVALID',
    ],
    [
      'fast-jwt alg',
      new TokenError(TokenError.codes.invalidAlgorithm, 'x'),
      'VERIFIER_ERR_ALGORITHM_NOT_ALLOWED',
    ],
    [
      '@fastify/jwt expired',
      { code: 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED', message: 'x' },
      'VERIFIER_ERR_TOKEN_EXPIRED',
    ],
    [
      '@fastify/jwt invalid (claim)',
      {
        code: 'FST_JWT_AUTHORIZATION_TOKEN_INVALID',
        message: 'Authorization token is invalid: The sub claim is required.',
      },
      'VERIFIER_ERR_CLAIM_MISSING',
    ],
    ['@fastify/jwt no header', { code: 'FST_JWT_NO_AUTHORIZATION_IN_HEADER' }, 'VERIFIER_ERR_NO_CREDENTIALS'],
    ['get-jwks no key', { name: 'GetJwksError', code: 'JWK_NOT_FOUND' }, 'VERIFIER_ERR_KEY_NOT_FOUND'],
    ['get-jwks domain', { name: 'GetJwksError', code: 'DOMAIN_NOT_ALLOWED' }, 'VERIFIER_ERR_ISSUER_INVALID'],
    [
      'get-jwks fetch failed',
      { name: 'GetJwksError', code: 'JWKS_REQUEST_FAILED' },
      'VERIFIER_ERR_JWKS_UNAVAILABLE',
    ],
    ['jose expired', new joseErrors.JWTExpired('x', {}), 'VERIFIER_ERR_TOKEN_EXPIRED'],
    ['jose aud', new joseErrors.JWTClaimValidationFailed('x', {}, 'aud'), 'VERIFIER_ERR_AUDIENCE_INVALID'],
    ['jose signature', new joseErrors.JWSSignatureVerificationFailed(), 'VERIFIER_ERR_SIGNATURE_INVALID'],
    ['jose no key', new joseErrors.JWKSNoMatchingKey(), 'VERIFIER_ERR_KEY_NOT_FOUND'],
    ['jose timeout', new joseErrors.JWKSTimeout(), 'VERIFIER_ERR_JWKS_UNAVAILABLE'],
    [
      'fetch abort',
      Object.assign(new Error('aborted'), { name: 'TimeoutError' }),
      'VERIFIER_ERR_JWKS_UNAVAILABLE',
    ],
  ]
  it.each(cases)('%s', (_name, input, code) => {
    const mapped = mapError(input)
    expect(mapped).toBeInstanceOf(VerifierError)
    expect(mapped.code).toBe(code)
    expect(mapped.cause).toBe(input)
  })

  it('unwraps a key-fetching error to the error our key resolver threw', () => {
    const ours = verifierError('VERIFIER_ERR_KEY_NOT_FOUND', 'unknown kid')
    const wrapped = TokenError.wrap(ours, TokenError.codes.keyFetchingError, 'Cannot fetch key.')
    expect(mapError(wrapped)).toBe(ours)
  })
})
