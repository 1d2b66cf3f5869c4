import {
  DEFAULT_MAX_TTL,
  readStatusListClaims,
  STATUS_LIST_AGGREGATION_METADATA,
  STATUS_LIST_JWT_MEDIA_TYPE,
  STATUS_LIST_JWT_TYP,
  StatusList,
  StatusType,
  statusListTokenClaims,
} from '@stateless-auth/status-list'
import { describe, expect, it } from 'vitest'
import { codeOf } from './helpers/errors.js'

const URI = 'https://example.com/statuslists/1'

// The non-normative status list token of draft §5.1 (examples/status_list_jwt.md), payload only.
const DRAFT_PAYLOAD = {
  exp: 2291720170,
  iat: 1686920170,
  status_list: { bits: 1, lst: 'eNrbuRgAAhcBXQ' },
  sub: URI,
  ttl: 43200,
}
const DRAFT_NOW = (DRAFT_PAYLOAD.iat + 60) * 1000

describe('constants', () => {
  it('are the draft names', () => {
    expect(STATUS_LIST_JWT_TYP).toBe('statuslist+jwt')
    expect(STATUS_LIST_JWT_MEDIA_TYPE).toBe('application/statuslist+jwt')
    expect(STATUS_LIST_AGGREGATION_METADATA).toBe('status_list_aggregation_endpoint')
  })
})

describe('statusListTokenClaims', () => {
  it('builds { sub, iat, exp, ttl, status_list: { bits, lst } } as draft §5.1', () => {
    const list = new StatusList(16, 1)
    for (const i of [0, 3, 4, 5, 7, 8, 9, 13, 15]) list.set(i, StatusType.INVALID)
    const claims = statusListTokenClaims({ sub: URI, iat: 1686920170, exp: 2291720170, ttl: 43200, list })
    expect(claims).toEqual(DRAFT_PAYLOAD)
    expect(Object.keys(claims)).toEqual(['sub', 'iat', 'exp', 'ttl', 'status_list'])
    // JSON round trip, as the payload travels.
    const read = readStatusListClaims(JSON.parse(JSON.stringify(claims)), { uri: URI, now: DRAFT_NOW })
    expect(read.list.toBytes()).toEqual(list.toBytes())
  })

  it.each([
    ['a relative sub', { sub: '/statuslists/1' }],
    ['a non-http sub', { sub: 'urn:example:1' }],
    ['a fractional iat', { iat: 1.5 }],
    ['a negative iat', { iat: -1 }],
    ['exp before iat', { exp: 1686920169 }],
    ['exp equal to iat', { exp: 1686920170 }],
    ['a zero ttl', { ttl: 0 }],
    ['a fractional ttl', { ttl: 0.5 }],
    ['a missing ttl', { ttl: undefined }],
    ['a missing exp', { exp: undefined }],
    ['a list that is not a StatusList', { list: { bits: 1, encode: () => 'x' } }],
  ])('refuses %s', (_label, override) => {
    const input = {
      sub: URI,
      iat: 1686920170,
      exp: 2291720170,
      ttl: 43200,
      list: new StatusList(8, 1),
      ...override,
    }
    expect(codeOf(() => statusListTokenClaims(input as Parameters<typeof statusListTokenClaims>[0]))).toBe(
      'STATUS_LIST_ERR_CLAIM_INVALID',
    )
  })
})

describe('readStatusListClaims', () => {
  const read = (payload: unknown, options: Partial<Parameters<typeof readStatusListClaims>[1]> = {}) =>
    readStatusListClaims(payload, { uri: URI, now: DRAFT_NOW, ...options })
  const withClaims = (claims: Record<string, unknown>) => ({ ...DRAFT_PAYLOAD, ...claims })

  it("reads the draft's example token", () => {
    const { list, iat, exp, ttl } = read(DRAFT_PAYLOAD)
    expect({ iat, exp, ttl }).toEqual({ iat: 1686920170, exp: 2291720170, ttl: 43200 })
    expect(Buffer.from(list.toBytes()).toString('hex')).toBe('b9a3')
    expect(list.get(0)).toBe(StatusType.INVALID)
    expect(list.get(1)).toBe(StatusType.VALID)
  })

  it('exp and ttl are optional (RECOMMENDED by the draft): absent, they come back undefined', () => {
    const { exp: _exp, ttl: _ttl, ...bare } = DRAFT_PAYLOAD
    expect(read(bare)).toMatchObject({ exp: undefined, ttl: undefined, iat: 1686920170 })
  })

  it('ignores claims it does not know (draft §5.1: the JWT MAY contain other claims)', () => {
    expect(read(withClaims({ iss: 'https://example.com', jti: 'x' })).list.size).toBe(16)
  })

  it.each([
    ['a payload that is not an object', [], 'STATUS_LIST_ERR_CLAIM_INVALID'],
    ['a null payload', null, 'STATUS_LIST_ERR_CLAIM_INVALID'],
    ['a missing sub', withClaims({ sub: undefined }), 'STATUS_LIST_ERR_CLAIM_MISSING'],
    [
      'another sub',
      withClaims({ sub: 'https://example.com/statuslists/2' }),
      'STATUS_LIST_ERR_SUBJECT_MISMATCH',
    ],
    [
      'a sub differing only by a trailing slash',
      withClaims({ sub: `${URI}/` }),
      'STATUS_LIST_ERR_SUBJECT_MISMATCH',
    ],
    ['a non-string sub', withClaims({ sub: 1 }), 'STATUS_LIST_ERR_SUBJECT_MISMATCH'],
    ['a missing iat', withClaims({ iat: undefined }), 'STATUS_LIST_ERR_CLAIM_MISSING'],
    ['a string iat', withClaims({ iat: '1686920170' }), 'STATUS_LIST_ERR_CLAIM_INVALID'],
    [
      'an iat in the future',
      withClaims({ iat: DRAFT_PAYLOAD.iat + 3600 }),
      'STATUS_LIST_ERR_TOKEN_NOT_YET_VALID',
    ],
    [
      'an nbf in the future',
      withClaims({ nbf: DRAFT_PAYLOAD.iat + 3600 }),
      'STATUS_LIST_ERR_TOKEN_NOT_YET_VALID',
    ],
    ['a string nbf', withClaims({ nbf: 'soon' }), 'STATUS_LIST_ERR_CLAIM_INVALID'],
    ['a passed exp', withClaims({ exp: DRAFT_PAYLOAD.iat + 30 }), 'STATUS_LIST_ERR_TOKEN_EXPIRED'],
    ['a string exp', withClaims({ exp: '2291720170' }), 'STATUS_LIST_ERR_CLAIM_INVALID'],
    ['a zero ttl', withClaims({ ttl: 0 }), 'STATUS_LIST_ERR_TTL_INVALID'],
    ['a negative ttl', withClaims({ ttl: -30 }), 'STATUS_LIST_ERR_TTL_INVALID'],
    ['a ttl under a second', withClaims({ ttl: 0.001 }), 'STATUS_LIST_ERR_TTL_INVALID'],
    ['a ttl over one day', withClaims({ ttl: DEFAULT_MAX_TTL + 1 }), 'STATUS_LIST_ERR_TTL_INVALID'],
    ['a string ttl', withClaims({ ttl: '30' }), 'STATUS_LIST_ERR_TTL_INVALID'],
    ['a missing status_list', withClaims({ status_list: undefined }), 'STATUS_LIST_ERR_CLAIM_MISSING'],
    ['a string status_list', withClaims({ status_list: 'eNrbuRgAAhcBXQ' }), 'STATUS_LIST_ERR_CLAIM_INVALID'],
    [
      'a status_list without bits',
      withClaims({ status_list: { lst: 'eNrbuRgAAhcBXQ' } }),
      'STATUS_LIST_ERR_CLAIM_MISSING',
    ],
    ['a status_list without lst', withClaims({ status_list: { bits: 1 } }), 'STATUS_LIST_ERR_CLAIM_MISSING'],
    [
      'string bits',
      withClaims({ status_list: { bits: '1', lst: 'eNrbuRgAAhcBXQ' } }),
      'STATUS_LIST_ERR_CLAIM_INVALID',
    ],
    [
      'bits 3',
      withClaims({ status_list: { bits: 3, lst: 'eNrbuRgAAhcBXQ' } }),
      'STATUS_LIST_ERR_BITS_INVALID',
    ],
    [
      'a malformed lst',
      withClaims({ status_list: { bits: 1, lst: 'eNrbuRgAAhcBXQ==' } }),
      'STATUS_LIST_ERR_LST_MALFORMED',
    ],
    ['a corrupt lst', withClaims({ status_list: { bits: 1, lst: 'AAAA' } }), 'STATUS_LIST_ERR_LST_CORRUPT'],
  ])('refuses %s', (_label, payload, code) => {
    expect(codeOf(() => read(payload))).toBe(code)
  })

  it('exp: valid up to the clock tolerance, expired from exp + tolerance on (RFC 7519 §4.1.4)', () => {
    const exp = DRAFT_PAYLOAD.iat + 100
    expect(read(withClaims({ exp }), { now: exp * 1000 + 4999 }).exp).toBe(exp)
    expect(codeOf(() => read(withClaims({ exp }), { now: exp * 1000 + 5000 }))).toBe(
      'STATUS_LIST_ERR_TOKEN_EXPIRED',
    )
    expect(codeOf(() => read(withClaims({ exp }), { now: exp * 1000, clockTolerance: 0 }))).toBe(
      'STATUS_LIST_ERR_TOKEN_EXPIRED',
    )
  })

  it('iat a few seconds ahead is within the clock tolerance', () => {
    expect(read(withClaims({ iat: DRAFT_PAYLOAD.iat + 64 })).iat).toBe(DRAFT_PAYLOAD.iat + 64)
    expect(codeOf(() => read(withClaims({ iat: DRAFT_PAYLOAD.iat + 66 })))).toBe(
      'STATUS_LIST_ERR_TOKEN_NOT_YET_VALID',
    )
  })

  it('ttl bounds are configurable', () => {
    expect(read(withClaims({ ttl: 3 }), { minTtl: 2, maxTtl: 10 }).ttl).toBe(3)
    expect(codeOf(() => read(withClaims({ ttl: 1 }), { minTtl: 2 }))).toBe('STATUS_LIST_ERR_TTL_INVALID')
    expect(codeOf(() => read(withClaims({ ttl: 11 }), { maxTtl: 10 }))).toBe('STATUS_LIST_ERR_TTL_INVALID')
  })

  it('passes maxBytes on to the decoder', () => {
    expect(codeOf(() => read(DRAFT_PAYLOAD, { maxBytes: 1 }))).toBe('STATUS_LIST_ERR_LST_TOO_LARGE')
  })

  it('refuses inconsistent options with a RangeError (a programming error, not bad input)', () => {
    expect(() => read(DRAFT_PAYLOAD, { minTtl: 0 })).toThrow(RangeError)
    expect(() => read(DRAFT_PAYLOAD, { minTtl: 10, maxTtl: 5 })).toThrow(RangeError)
    expect(() => read(DRAFT_PAYLOAD, { clockTolerance: -1 })).toThrow(RangeError)
  })
})
