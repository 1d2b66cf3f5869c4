import { readStatusClaim } from '@stateless-auth/status-list'
import { describe, expect, it } from 'vitest'
import { codeOf } from './helpers/errors.js'

const ref = (statusList: unknown) => ({ sub: 'alice', status: { status_list: statusList } })

describe('readStatusClaim (draft §6.2)', () => {
  it("reads the draft's example referenced token", () => {
    const claims = { status: { status_list: { idx: 0, uri: 'https://example.com/statuslists/1' } } }
    expect(readStatusClaim(claims)).toEqual({
      idx: 0,
      uri: 'https://example.com/statuslists/1',
      origin: 'https://example.com',
    })
  })

  it('keeps the uri exactly as written (it is compared with the list token sub as is) and gives its origin', () => {
    expect(readStatusClaim(ref({ idx: 7, uri: 'HTTP://LOCALHOST:4000/status/1?v=2' }))).toEqual({
      idx: 7,
      uri: 'HTTP://LOCALHOST:4000/status/1?v=2',
      origin: 'http://localhost:4000',
    })
  })

  it('no status claim, or a status naming only another mechanism (§6.1), gives undefined', () => {
    expect(readStatusClaim({ sub: 'alice' })).toBeUndefined()
    expect(readStatusClaim({ status: { other_mechanism: { x: 1 } } })).toBeUndefined()
  })

  it('ignores other members next to idx and uri', () => {
    expect(readStatusClaim(ref({ idx: 1, uri: 'https://a.example/s', extra: true }))?.idx).toBe(1)
  })

  it.each([
    ['a string status', { status: 'revoked' }],
    ['a null status', { status: null }],
    ['an array status', { status: [] }],
    ['a string status_list', ref('https://example.com/statuslists/1')],
    ['a null status_list', ref(null)],
    ['a missing idx', ref({ uri: 'https://example.com/s' })],
    ['a negative idx', ref({ idx: -1, uri: 'https://example.com/s' })],
    ['a fractional idx', ref({ idx: 1.5, uri: 'https://example.com/s' })],
    ['a string idx', ref({ idx: '1', uri: 'https://example.com/s' })],
    ['an idx beyond 2^53', ref({ idx: 2 ** 53, uri: 'https://example.com/s' })],
    ['a missing uri', ref({ idx: 1 })],
    ['a relative uri', ref({ idx: 1, uri: '/statuslists/1' })],
    ['an empty uri', ref({ idx: 1, uri: '' })],
    ['a non-string uri', ref({ idx: 1, uri: 42 })],
    ['a file: uri', ref({ idx: 1, uri: 'file:///etc/passwd' })],
    ['a data: uri', ref({ idx: 1, uri: 'data:text/plain,x' })],
    ['a uri with credentials', ref({ idx: 1, uri: 'https://user:pw@example.com/s' })],
    ['a uri with a fragment', ref({ idx: 1, uri: 'https://example.com/s#frag' })],
    ['a uri with surrounding space', ref({ idx: 1, uri: ' https://example.com/s' })],
    ['a uri with a line break', ref({ idx: 1, uri: 'https://example.com/s\n' })],
    ['an overlong uri', ref({ idx: 1, uri: `https://example.com/${'a'.repeat(2048)}` })],
  ])('refuses %s', (_label, claims) => {
    expect(codeOf(() => readStatusClaim(claims))).toBe('STATUS_LIST_ERR_STATUS_CLAIM_INVALID')
  })
})
