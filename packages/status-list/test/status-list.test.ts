import { STATUS_LIST_BITS, StatusList, type StatusListBits, StatusType } from '@stateless-auth/status-list'
import { describe, expect, it } from 'vitest'
import { codeOf } from './helpers/errors.js'
import { randomInt, seededRandom } from './helpers/random.mjs'

describe('StatusList: size and defaults', () => {
  it.each(STATUS_LIST_BITS)(
    'a new %i-bit list is all VALID and takes ceil(size × bits / 8) bytes',
    (bits) => {
      const list = new StatusList(1001, bits)
      expect(list.size).toBe(1001)
      expect(list.bits).toBe(bits)
      expect(list.byteLength).toBe(Math.ceil((1001 * bits) / 8))
      for (let i = 0; i < list.size; i++) expect(list.get(i)).toBe(StatusType.VALID)
    },
  )

  it('the status values are the draft §7.1 ones', () => {
    expect(StatusType).toEqual({ VALID: 0, INVALID: 1, SUSPENDED: 2 })
  })

  it('a decoded list holds byteLength × 8 / bits entries (the padding of the last byte becomes addressable)', () => {
    const list = new StatusList(1001, 2)
    list.set(1000, 3)
    const decoded = StatusList.decode(list.encode(), 2)
    expect(decoded.size).toBe(1004)
    expect(decoded.get(1000)).toBe(3)
    expect(decoded.get(1003)).toBe(StatusType.VALID)
  })

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])('refuses size %s', (size) => {
    expect(codeOf(() => new StatusList(size, 1))).toBe('STATUS_LIST_ERR_SIZE_INVALID')
  })

  it.each([0, 3, 5, 16, 1.5, '1'])('refuses bits %s', (bits) => {
    expect(codeOf(() => new StatusList(8, bits as StatusListBits))).toBe('STATUS_LIST_ERR_BITS_INVALID')
    expect(codeOf(() => StatusList.fromBytes(Uint8Array.of(1), bits as StatusListBits))).toBe(
      'STATUS_LIST_ERR_BITS_INVALID',
    )
  })
})

describe('StatusList: get and set', () => {
  it('setting one entry leaves its neighbours in the same byte untouched', () => {
    for (const bits of STATUS_LIST_BITS) {
      const list = new StatusList(16, bits)
      const max = 2 ** bits - 1
      for (let i = 0; i < 16; i++) list.set(i, max)
      list.set(5, 0)
      for (let i = 0; i < 16; i++) expect(list.get(i), `bits ${bits} index ${i}`).toBe(i === 5 ? 0 : max)
    }
  })

  it('4-bit entries: index 0 is the low nibble, index 1 the high nibble', () => {
    const list = new StatusList(2, 4)
    list.set(0, 0x0a)
    list.set(1, 0x03)
    expect([...list.toBytes()]).toEqual([0x3a])
  })

  it('8-bit entries are whole bytes', () => {
    const list = new StatusList(3, 8)
    list.set(1, 0xfe)
    expect([...list.toBytes()]).toEqual([0, 0xfe, 0])
  })

  it.each([
    [1, 2],
    [2, 4],
    [4, 16],
    [8, 256],
  ] as const)('a %i-bit list refuses status %i and negative or fractional statuses', (bits, tooBig) => {
    const list = new StatusList(8, bits)
    expect(codeOf(() => list.set(0, tooBig))).toBe('STATUS_LIST_ERR_STATUS_INVALID')
    expect(codeOf(() => list.set(0, -1))).toBe('STATUS_LIST_ERR_STATUS_INVALID')
    expect(codeOf(() => list.set(0, 0.5))).toBe('STATUS_LIST_ERR_STATUS_INVALID')
    expect(list.get(0)).toBe(0)
  })

  it('SUSPENDED does not fit a 1-bit list', () => {
    expect(codeOf(() => new StatusList(8, 1).set(0, StatusType.SUSPENDED))).toBe(
      'STATUS_LIST_ERR_STATUS_INVALID',
    )
  })

  it('an index at or past the end is out of range, on get and on set', () => {
    const list = new StatusList(10, 1)
    expect(codeOf(() => list.get(10))).toBe('STATUS_LIST_ERR_INDEX_OUT_OF_RANGE')
    expect(codeOf(() => list.set(10, 1))).toBe('STATUS_LIST_ERR_INDEX_OUT_OF_RANGE')
    // ceil(10 / 8) = 2 bytes hold 16 bits, but only 10 entries were asked for.
    expect(codeOf(() => list.get(15))).toBe('STATUS_LIST_ERR_INDEX_OUT_OF_RANGE')
    expect(list.get(9)).toBe(0)
  })

  it.each([-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY, '1', 2 ** 53])('index %s is invalid', (index) => {
    const list = new StatusList(10, 1)
    expect(codeOf(() => list.get(index as number))).toBe('STATUS_LIST_ERR_INDEX_INVALID')
    expect(codeOf(() => list.set(index as number, 1))).toBe('STATUS_LIST_ERR_INDEX_INVALID')
  })

  it('toBytes() is a copy, fromBytes() copies its input', () => {
    const bytes = Uint8Array.of(0b0000_0010)
    const list = StatusList.fromBytes(bytes, 1)
    bytes[0] = 0
    expect(list.get(1)).toBe(1)
    list.toBytes()[0] = 0
    expect(list.get(1)).toBe(1)
    const decoded = StatusList.decode(list.encode(), 1)
    decoded.toBytes()[0] = 0
    expect(decoded.get(1)).toBe(1)
  })

  it('fromBytes() refuses an empty array', () => {
    expect(codeOf(() => StatusList.fromBytes(new Uint8Array(0), 1))).toBe('STATUS_LIST_ERR_SIZE_INVALID')
  })
})

describe('StatusList: random round trips (property test, seeded)', () => {
  for (const bits of STATUS_LIST_BITS) {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      it(`${bits}-bit, seed ${seed}: encode → decode gives every status back`, () => {
        const random = seededRandom(seed * 100 + bits)
        const size = 1 + randomInt(random, 20_000)
        const density = random() // from nearly empty to nearly full lists
        const model = new Uint8Array(size)
        const list = new StatusList(size, bits)
        for (let i = 0; i < size; i++) {
          if (random() < density) {
            model[i] = randomInt(random, 2 ** bits)
            list.set(i, model[i]!)
          }
        }
        // Overwrites as well as first writes.
        for (let n = 0; n < 100; n++) {
          const i = randomInt(random, size)
          model[i] = randomInt(random, 2 ** bits)
          list.set(i, model[i]!)
        }
        const decoded = StatusList.decode(list.encode(), bits)
        expect(decoded.size).toBeGreaterThanOrEqual(size)
        expect(decoded.size - size).toBeLessThan(8 / bits)
        let mismatch = -1
        for (let i = 0; i < decoded.size; i++) {
          if (decoded.get(i) !== (i < size ? model[i] : 0)) {
            mismatch = i
            break
          }
        }
        expect(mismatch, `size ${size}, first mismatch at ${mismatch}`).toBe(-1)
      })
    }
  }
})

describe('StatusList: encode options and encodeAsync', () => {
  function sample(bits: StatusListBits): StatusList {
    const random = seededRandom(99 + bits)
    const list = new StatusList(50_000, bits)
    for (let n = 0; n < 500; n++) list.set(randomInt(random, list.size), 1 + randomInt(random, 2 ** bits - 1))
    return list
  }

  it.each(STATUS_LIST_BITS)(
    "%i-bit: strategy 'rle' is another valid ZLIB stream of the same bytes",
    (bits) => {
      const list = sample(bits)
      const rle = list.encode({ strategy: 'rle' })
      expect(rle).not.toBe(list.encode())
      expect(Buffer.from(StatusList.decode(rle, bits).toBytes()).equals(Buffer.from(list.toBytes()))).toBe(
        true,
      )
    },
  )

  it.each(STATUS_LIST_BITS)(
    '%i-bit: encodeAsync() gives what encode() gives, for both strategies',
    async (bits) => {
      const list = sample(bits)
      expect(await list.encodeAsync()).toBe(list.encode())
      expect(await list.encodeAsync({ strategy: 'rle' })).toBe(list.encode({ strategy: 'rle' }))
    },
  )

  it('encodeAsync() encodes the list as it was when called', async () => {
    const list = new StatusList(64, 1)
    const pending = list.encodeAsync()
    list.set(3, StatusType.INVALID)
    expect(StatusList.decode(await pending, 1).get(3)).toBe(StatusType.VALID)
  })

  it('an unknown strategy is a programming error (RangeError)', async () => {
    const list = new StatusList(8, 1)
    expect(() => list.encode({ strategy: 'fast' as 'rle' })).toThrow(RangeError)
    await expect(list.encodeAsync({ strategy: 'fast' as 'rle' })).rejects.toThrow(RangeError)
  })
})
