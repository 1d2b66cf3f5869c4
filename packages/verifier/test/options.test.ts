import { createVerifier, metadataUrlFor, parseBearer, type VerifierOptions } from '@stateless-auth/verifier'
import { describe, expect, it } from 'vitest'
import { adapterApi } from '../src/internal/adapter-api.js'

const base = { issuer: 'http://localhost:4000', audience: 'urn:stateless-auth:orders-api' }

describe('options are validated at construction', () => {
  it.each([
    ['alg none', { algorithms: ['none'] }, /can never be used with a JWKS/],
    ['HS256', { algorithms: ['RS256', 'HS256'] }, /"HS256" can never be used/],
    ['unknown algorithm', { algorithms: ['RS1'] }, /not supported/],
    ['relative issuer', { issuer: '/auth' }, /issuer must be an absolute URL/],
    ['non-http issuer', { issuer: 'ftp://as.example' }, /http\(s\)/],
    ['empty audience', { audience: [] }, /audience/],
    ['negative timeout', { fetchTimeout: -1 }, /fetchTimeout/],
    ['bad jwksUri', { jwksUri: 'keys.json' }, /jwksUri/],
  ])('refuses %s', (_name, extra, message) => {
    expect(() => createVerifier({ ...base, ...extra } as unknown as VerifierOptions)).toThrow(message)
    try {
      createVerifier({ ...base, ...extra } as unknown as VerifierOptions)
    } catch (err) {
      expect(err).toMatchObject({ code: 'VERIFIER_ERR_INVALID_OPTIONS' })
    }
  })

  it('defaults to RS256, PS256, ES256 and EdDSA with the documented limits', () => {
    const { options } = adapterApi(createVerifier(base))
    expect(options).toMatchObject({
      algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      audience: ['urn:stateless-auth:orders-api'],
      clockToleranceMs: 5000,
      fetchTimeout: 5000,
      cooldown: 30_000,
      refreshInterval: 300_000,
      maxKeys: 20,
      maxTokenLength: 8192,
      cacheMax: 0,
      metadataUri: 'http://localhost:4000/.well-known/oauth-authorization-server',
    })
  })
})

describe('RFC 8414 §3.1 metadata URL', () => {
  it.each([
    ['https://as.example', 'https://as.example/.well-known/oauth-authorization-server'],
    ['https://as.example/', 'https://as.example/.well-known/oauth-authorization-server'],
    ['https://as.example/tenant/1', 'https://as.example/.well-known/oauth-authorization-server/tenant/1'],
    ['https://as.example/tenant/', 'https://as.example/.well-known/oauth-authorization-server/tenant'],
    ['http://localhost:4000', 'http://localhost:4000/.well-known/oauth-authorization-server'],
  ])('%s → %s', (issuer, url) => {
    expect(metadataUrlFor(issuer)).toBe(url)
  })
})

describe('Authorization header parsing (RFC 6750 §2.1)', () => {
  it.each([
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer abc', 'abc'],
    ['BEARER   abc==', 'abc=='],
    [['Bearer abc'], 'abc'],
  ])('reads %j', (header, token) => {
    expect(parseBearer(header)).toBe(token)
  })

  it.each([
    [undefined, 'VERIFIER_ERR_NO_CREDENTIALS'],
    ['', 'VERIFIER_ERR_NO_CREDENTIALS'],
    ['DPoP abc', 'VERIFIER_ERR_NO_CREDENTIALS'],
    ['Bearer', 'VERIFIER_ERR_INVALID_REQUEST'],
    ['Bearer a=b', 'VERIFIER_ERR_INVALID_REQUEST'],
    [['Bearer a', 'Bearer b'], 'VERIFIER_ERR_INVALID_REQUEST'],
    [' ', 'VERIFIER_ERR_INVALID_REQUEST'],
    [`Bearer ${'a'.repeat(9000)}`, 'VERIFIER_ERR_TOKEN_TOO_LARGE'],
  ])('refuses %j', (header, code) => {
    expect(() => parseBearer(header as string)).toThrow(expect.objectContaining({ code }))
  })
})
