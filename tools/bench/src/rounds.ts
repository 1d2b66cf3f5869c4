import type { LoadResult } from './load.js'
import { median } from './stats.js'

/** One row of a table: something that can be put under load for a given number of seconds. */
export interface Contender {
  label: string
  /** One load run. `counted` is an optional counter the row reports (e.g. auth-server requests it caused). */
  measure(seconds: number): Promise<LoadResult & { counted?: number; cpu?: number }>
}

export interface RowSummary {
  label: string
  /** Medians over the measured rounds. */
  rps: number
  p50: number
  p99: number
  /** Sum of `counted` over the measured rounds (warm-up excluded). */
  counted: number
  /** Median server CPU time per answered request (µs), when the row measures it. */
  cpu?: number
  /** Requests answered during the measured rounds. */
  requests: number
  rounds: LoadResult[]
}

export interface RoundPlan {
  rounds: number
  duration: number
  warmup: number
  log?: (line: string) => void
}

/**
 * Runs every contender once per round, rotating who goes first, so that slow drifts of the machine (other
 * processes, thermal state) spread over all rows instead of penalising whichever ran last. Each row is warmed
 * up once before the first round; the warm-up is not counted.
 */
export async function interleave(contenders: readonly Contender[], plan: RoundPlan): Promise<RowSummary[]> {
  const results = contenders.map(() => ({ rounds: [] as LoadResult[], counted: 0, cpu: [] as number[] }))
  for (const contender of contenders) await contender.measure(plan.warmup)
  for (let round = 0; round < plan.rounds; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const index = (k + round) % contenders.length
      const contender = contenders[index]!
      const result = await contender.measure(plan.duration)
      results[index]!.rounds.push(result)
      results[index]!.counted += result.counted ?? 0
      if (result.cpu !== undefined) results[index]!.cpu.push(result.cpu)
      plan.log?.(
        `  round ${round + 1}/${plan.rounds} ${contender.label}: ${Math.round(result.rps)} req/s, p99 ${result.p99.toFixed(2)} ms`,
      )
    }
  }
  return contenders.map((contender, i) => {
    const { rounds, counted, cpu } = results[i]!
    return {
      ...(cpu.length > 0 ? { cpu: median(cpu) } : {}),
      label: contender.label,
      rps: median(rounds.map((r) => r.rps)),
      p50: median(rounds.map((r) => r.p50)),
      p99: median(rounds.map((r) => r.p99)),
      counted,
      requests: rounds.reduce((sum, r) => sum + r.ok, 0),
      rounds,
    }
  })
}
