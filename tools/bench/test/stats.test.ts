import { describe, expect, it } from 'vitest'
import { median, percentileSorted, Samples } from '../src/stats.js'

describe('statistics of rounds and latencies', () => {
  it('takes the median of odd and even counts without reordering the input', () => {
    const input = [5, 1, 3]
    expect(median(input)).toBe(3)
    expect(input).toEqual([5, 1, 3])
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(() => median([])).toThrow(RangeError)
  })

  it('uses nearest-rank percentiles on sorted samples', () => {
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1)
    expect(percentileSorted(sorted, 50)).toBe(50)
    expect(percentileSorted(sorted, 99)).toBe(99)
    expect(percentileSorted(sorted, 100)).toBe(100)
    expect(percentileSorted([7], 99)).toBe(7)
    expect(percentileSorted([], 50)).toBeNaN()
  })

  it('keeps every latency sample past its initial capacity, sorted numerically', () => {
    const samples = new Samples()
    const n = 40_000
    for (let i = n; i > 0; i--) samples.push(i / 10)
    const sorted = samples.sorted()
    expect(samples.length).toBe(n)
    expect(sorted[0]).toBe(0.1)
    expect(sorted[n - 1]).toBe(n / 10)
    // Numeric, not lexicographic: 10 sorts after 9.
    expect(sorted.indexOf(10)).toBeGreaterThan(sorted.indexOf(9))
  })
})
