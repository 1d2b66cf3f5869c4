// Independent cross-check against @sd-jwt/jwt-status-list (OpenWallet Foundation, pako for DEFLATE, its own bit
// packing): it must read our lists, and we must read its lists, with every entry agreeing.
import { StatusList as SdJwtStatusList } from '@sd-jwt/jwt-status-list'
import { STATUS_LIST_BITS, StatusList, type StatusListBits } from '@stateless-auth/status-list'
import { describe, expect, it } from 'vitest'
import { LONG_VECTORS } from './fixtures/draft-vectors.js'
import { randomInt, seededRandom } from './helpers/random.mjs'

function randomStatuses(seed: number, bits: StatusListBits, size: number): number[] {
  const random = seededRandom(seed)
  const density = 0.01 + random() * 0.5
  return Array.from({ length: size }, () => (random() < density ? randomInt(random, 2 ** bits) : 0))
}

// Asserts on the first differing index rather than on whole arrays: a 2^20-entry diff helps nobody.
function expectSameEntries(size: number, read: (i: number) => number, want: (i: number) => number): void {
  let mismatch = -1
  for (let i = 0; i < size && mismatch === -1; i++) if (read(i) !== want(i)) mismatch = i
  expect(mismatch, 'first index where the entries differ').toBe(-1)
}

describe.each(STATUS_LIST_BITS)('%i-bit lists', (bits) => {
  it.each([1, 2, 3])(
    '@sd-jwt/jwt-status-list decodes our list and agrees entry for entry (seed %i)',
    (seed) => {
      // A multiple of 8 / bits, so both sides have the same number of entries.
      const statuses = randomStatuses(seed * 10 + bits, bits, 8 * 4_000)
      const ours = new StatusList(statuses.length, bits)
      statuses.forEach((status, i) => {
        ours.set(i, status)
      })
      const theirs = SdJwtStatusList.decompressStatusList(ours.encode(), bits)
      expect(theirs.getBitsPerStatus()).toBe(bits)
      expect(theirs.statusList.length).toBe(statuses.length)
      expectSameEntries(
        statuses.length,
        (i) => theirs.getStatus(i),
        (i) => statuses[i]!,
      )
    },
  )

  it.each([1, 2, 3])(
    'we decode a list @sd-jwt/jwt-status-list encoded and agree entry for entry (seed %i)',
    (seed) => {
      const statuses = randomStatuses(seed * 10 + bits + 5, bits, 8 * 4_000)
      const lst = new SdJwtStatusList(statuses, bits).compressStatusList()
      const ours = StatusList.decode(lst, bits)
      expect(ours.size).toBe(statuses.length)
      expectSameEntries(
        statuses.length,
        (i) => ours.get(i),
        (i) => statuses[i]!,
      )
    },
  )
})

describe.each(LONG_VECTORS)('$name (2^20 entries)', (vector) => {
  it('@sd-jwt/jwt-status-list decodes our encoding of the draft list to the draft statuses', () => {
    const ours = new StatusList(vector.size, vector.bits)
    for (const [index, status] of vector.entries) ours.set(index, status)
    const theirs = SdJwtStatusList.decompressStatusList(ours.encode(), vector.bits)
    const want = new Map(vector.entries)
    expect(theirs.statusList.length).toBe(vector.size)
    expectSameEntries(
      vector.size,
      (i) => theirs.getStatus(i),
      (i) => want.get(i) ?? 0,
    )
  })
})
