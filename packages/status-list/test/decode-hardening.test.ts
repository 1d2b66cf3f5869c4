import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib'
import { DEFAULT_MAX_DECOMPRESSED_BYTES, StatusList, StatusListError } from '@stateless-auth/status-list'
import { describe, expect, it } from 'vitest'
import { seededRandom } from './helpers/random.mjs'

const b64u = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url')
const VALID = 'eNrbuRgAAhcBXQ' // draft §4.2, bytes b9 a3

function errorOf(fn: () => unknown): StatusListError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(StatusListError)
    return err as StatusListError
  }
  throw new Error('expected a StatusListError, nothing was thrown')
}

describe('StatusList.decode: lst must be canonical unpadded base64url', () => {
  it.each([
    ['padding', `${VALID}==`],
    ['standard base64 characters', 'eNrbuRgAAhcB+Q'],
    ['a space inside', `${VALID.slice(0, 5)} ${VALID.slice(5)}`],
    ['a line break (as the draft prints long lists)', `${VALID.slice(0, 5)}\n${VALID.slice(5)}`],
    ['a length of 4n+1', `${VALID}AAA`],
    ['non-zero unused bits in the last character', `${VALID.slice(0, -1)}R`],
    ['a non-ASCII letter', `${VALID}é`],
  ])('refuses %s', (_label, lst) => {
    expect(errorOf(() => StatusList.decode(lst, 1)).code).toBe('STATUS_LIST_ERR_LST_MALFORMED')
  })

  it('the non-canonical variant would have decoded to the same bytes with a lenient decoder', () => {
    // Why the canonical check exists: Buffer.from ignores those low bits.
    expect(Buffer.from(`${VALID.slice(0, -1)}R`, 'base64url')).toEqual(Buffer.from(VALID, 'base64url'))
  })

  it.each([undefined, null, 42, {}, ['eN']])('refuses a non-string lst (%s)', (lst) => {
    expect(errorOf(() => StatusList.decode(lst as unknown as string, 1)).code).toBe(
      'STATUS_LIST_ERR_LST_MALFORMED',
    )
  })
})

describe('StatusList.decode: lst must be exactly one ZLIB stream', () => {
  const bytes = Buffer.from([0xb9, 0xa3])
  it.each([
    ['an empty string', ''],
    ['garbage bytes', b64u(Buffer.from('not a zlib stream'))],
    ['raw DEFLATE without the RFC 1950 header', b64u(deflateRawSync(bytes))],
    ['gzip instead of zlib', b64u(gzipSync(bytes))],
    ['a truncated stream', b64u(deflateSync(bytes).subarray(0, 6))],
    [
      'a stream with a wrong Adler-32 checksum',
      b64u(Buffer.concat([deflateSync(bytes).subarray(0, -1), Buffer.of(0)])),
    ],
    ['bytes after the end of the stream', b64u(Buffer.concat([deflateSync(bytes), Buffer.of(0)]))],
    ['two concatenated streams', b64u(Buffer.concat([deflateSync(bytes), deflateSync(bytes)]))],
    ['a stream of zero bytes', b64u(deflateSync(Buffer.alloc(0)))],
  ])('refuses %s', (_label, lst) => {
    expect(errorOf(() => StatusList.decode(lst, 1)).code).toBe('STATUS_LIST_ERR_LST_CORRUPT')
  })

  it('random bytes never crash: each is a typed error or a list (seeded)', () => {
    const random = seededRandom(42)
    for (let n = 0; n < 2_000; n++) {
      const noise = Buffer.alloc(2 + Math.floor(random() * 64))
      for (let i = 0; i < noise.length; i++) noise[i] = Math.floor(random() * 256)
      // Half of them get a valid zlib header so the inflater itself is exercised.
      if (n % 2 === 0) noise.set([0x78, 0xda])
      try {
        StatusList.decode(b64u(noise), 1, { maxBytes: 1 << 20 })
      } catch (err) {
        expect(err).toBeInstanceOf(StatusListError)
      }
    }
  })
})

describe('StatusList.decode: zlib bomb guard', () => {
  it(`the default limit is 16 MiB (${DEFAULT_MAX_DECOMPRESSED_BYTES} bytes)`, () => {
    expect(DEFAULT_MAX_DECOMPRESSED_BYTES).toBe(16 * 1024 * 1024)
  })

  it('refuses a list that inflates past the default limit', () => {
    // ~16 KiB of lst that would inflate to 17 MiB.
    const bomb = b64u(deflateSync(Buffer.alloc(DEFAULT_MAX_DECOMPRESSED_BYTES + (1 << 20)), { level: 9 }))
    expect(bomb.length).toBeLessThan(40_000)
    const err = errorOf(() => StatusList.decode(bomb, 1))
    expect(err.code).toBe('STATUS_LIST_ERR_LST_TOO_LARGE')
    expect(err.message).toBe(`lst inflates to more than ${DEFAULT_MAX_DECOMPRESSED_BYTES} bytes`)
  })

  it('refuses a list one byte over a configured limit and accepts one at the limit', () => {
    const atLimit = b64u(deflateSync(Buffer.alloc(1000)))
    expect(StatusList.decode(atLimit, 8, { maxBytes: 1000 }).size).toBe(1000)
    expect(errorOf(() => StatusList.decode(atLimit, 8, { maxBytes: 999 })).code).toBe(
      'STATUS_LIST_ERR_LST_TOO_LARGE',
    )
  })

  it('a very large bomb is refused without inflating it whole', () => {
    // 64 MiB of zeros deflate to about 64 KiB; the guard stops near the 1 MiB limit instead of allocating 64 MiB.
    const huge = deflateSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 })
    const before = process.memoryUsage().arrayBuffers
    const err = errorOf(() => StatusList.decode(b64u(huge), 1, { maxBytes: 1 << 20 }))
    expect(err.code).toBe('STATUS_LIST_ERR_LST_TOO_LARGE')
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 * 1024 * 1024)
  })

  it.each([0, -1, 1.5, Number.NaN])(
    'maxBytes %s is a programming error (RangeError), not an input error',
    (max) => {
      expect(() => StatusList.decode(VALID, 1, { maxBytes: max })).toThrow(RangeError)
    },
  )
})

describe('StatusList.decode: bits', () => {
  it.each([0, 3, 16, -1, 1.5, '1', null, undefined])('refuses bits %s', (bits) => {
    expect(errorOf(() => StatusList.decode(VALID, bits as number)).code).toBe('STATUS_LIST_ERR_BITS_INVALID')
  })

  it('the same bytes read with another valid bits value give another list (bits is part of the format)', () => {
    expect(StatusList.decode(VALID, 1).size).toBe(16)
    expect(StatusList.decode(VALID, 8).size).toBe(2)
    expect(StatusList.decode(VALID, 8).get(0)).toBe(0xb9)
  })
})
