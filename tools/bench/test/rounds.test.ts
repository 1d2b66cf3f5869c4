import { describe, expect, it } from 'vitest'
import type { LoadResult } from '../src/load.js'
import { type Contender, interleave } from '../src/rounds.js'

const result = (rps: number, counted = 0): LoadResult & { counted: number } => ({
  rps,
  p50: 1000 / rps,
  p99: 3000 / rps,
  ok: rps,
  seconds: 1,
  counted,
})

describe('interleaved rounds', () => {
  it('warms every row up once, rotates the order each round, and reports medians', async () => {
    const calls: string[] = []
    const make = (label: string, values: number[]): Contender => {
      let i = 0
      return {
        label,
        async measure(seconds) {
          calls.push(`${label}@${seconds}`)
          // The warm-up (seconds = 0.5) returns garbage that must not reach the medians.
          return seconds === 0.5 ? result(1, 99) : result(values[i++]!, 2)
        },
      }
    }
    const rows = await interleave([make('a', [10, 30, 20]), make('b', [5, 7, 6])], {
      rounds: 3,
      duration: 2,
      warmup: 0.5,
    })
    expect(calls).toEqual(['a@0.5', 'b@0.5', 'a@2', 'b@2', 'b@2', 'a@2', 'a@2', 'b@2'])
    expect(rows.map((r) => [r.label, r.rps, r.counted, r.rounds.length])).toEqual([
      ['a', 20, 6, 3],
      ['b', 6, 6, 3],
    ])
    expect(rows[0]!.p99).toBeCloseTo(3000 / 20)
  })
})
