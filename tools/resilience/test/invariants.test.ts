import { describe, expect, it } from 'vitest'
import {
  type CodeRow,
  checkCodes,
  checkFamilies,
  type RefreshRow,
  sha256,
  unrecorded,
} from '../src/invariants.js'

const code = (grant: string, consumed: boolean): CodeRow => ({
  code_hash: `c-${grant}`,
  grant_id: grant,
  consumed_at: consumed ? 1 : null,
})
const refresh = (
  grant: string,
  state: 'live' | 'rotated' | 'revoked',
  hash = `${grant}-${state}`,
): RefreshRow => ({
  token_hash: hash,
  grant_id: grant,
  rotated_at: state === 'rotated' ? 1 : null,
  revoked_at: state === 'revoked' ? 1 : null,
})

describe('checkCodes', () => {
  const grants = { withAccessToken: new Set(['g1']), revoked: new Set<string>() }
  it('accepts unused codes and codes consumed with their tokens', () => {
    expect(checkCodes([code('g1', true), code('g2', false)], [refresh('g1', 'live')], grants)).toEqual([])
  })
  it('reports a code consumed without an access token or without a refresh token', () => {
    expect(checkCodes([code('g2', true)], [refresh('g2', 'live')], grants)).toEqual([
      '1 of 1 codes consumed without their tokens recorded',
    ])
    expect(checkCodes([code('g1', true)], [], grants)).toHaveLength(1)
  })
  it('leaves revoked grants out (a replayed code revokes what it issued)', () => {
    expect(checkCodes([code('g2', true)], [], { ...grants, revoked: new Set(['g2']) })).toEqual([])
  })
})

describe('checkFamilies', () => {
  it('accepts one live token per family, however many rotated before it', () => {
    expect(
      checkFamilies(
        [refresh('g', 'rotated', 'a'), refresh('g', 'rotated', 'b'), refresh('g', 'live')],
        new Set(),
      ),
    ).toEqual([])
  })
  it('reports a family with two live tokens and one with none', () => {
    expect(
      checkFamilies(
        [refresh('two', 'live', 'a'), refresh('two', 'live', 'b'), refresh('none', 'rotated')],
        new Set(),
      ),
    ).toEqual([
      '1 refresh-token families with more than one live token',
      '1 refresh-token families rotated without a successor (lost)',
    ])
  })
  it('leaves revoked families out', () => {
    expect(checkFamilies([refresh('g', 'rotated')], new Set(['g']))).toEqual([])
  })
})

describe('unrecorded', () => {
  it('names how many received tokens have no row', () => {
    expect(unrecorded(['a', 'b', 'c'], new Set(['a']))).toEqual(['2 of 3 issued tokens have no row'])
    expect(unrecorded(['a'], new Set(['a']))).toEqual([])
  })
  it('hashes refresh tokens like the auth-server stores them (SHA-256, base64url)', () => {
    expect(sha256('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0')
  })
})
