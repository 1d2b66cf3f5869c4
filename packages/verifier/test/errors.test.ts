import { validateHeaderValue } from 'node:http'
import {
  ERROR_CODES,
  errorResponse,
  VerifierError,
  verifierError,
  wwwAuthenticate,
} from '@stateless-auth/verifier'
import { describe, expect, it } from 'vitest'
import { mapError } from '../src/map-error.js'

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

describe('mapError', () => {
  it('passes VerifierErrors through and turns anything else into a 401 invalid_token keeping the cause', () => {
    const ours = verifierError('VERIFIER_ERR_KEY_NOT_FOUND', 'unknown kid')
    expect(mapError(ours)).toBe(ours)
    const bug = new TypeError('x is undefined')
    const mapped = mapError(bug)
    expect(mapped).toMatchObject({
      code: 'VERIFIER_ERR_TOKEN_MALFORMED',
      statusCode: 401,
      oauthError: 'invalid_token',
    })
    expect(mapped.cause).toBe(bug)
  })
})
