import type { RowSummary } from '../rounds.js'
import { count, mib, ms } from './format.js'
import { isNotRun, type MemoryTable, type Table, type ThroughputTable } from './model.js'
import { memoryGrowth } from './table.js'

export interface TargetCheck {
  target: string
  measured: string
  /** `undefined` when this run cannot tell (e.g. the memory target on a quick run's fewer tokens). */
  met: boolean | undefined
}

const MEMORY_LIMIT = 64 * 2 ** 20

function row(table: ThroughputTable | undefined, prefix: string): RowSummary | undefined {
  const found = table?.rows.find((r) => r.label.startsWith(prefix))
  return found && !isNotRun(found) ? found : undefined
}

/** The issue's targets, checked against this run's medians (ratios of rows measured side by side). */
export function checkTargets(tables: readonly Table[]): TargetCheck[] {
  const checks: TargetCheck[] = []
  const resource = tables.find((t): t is ThroughputTable => t.id === 'resource' && t.kind === 'throughput')
  const ceiling = row(resource, 'no authentication')
  const off = row(resource, 'our verifier, cache off')
  const on = row(resource, 'our verifier, cache on')
  const floor = row(resource, 'floor:')
  const introspection = row(resource, 'RFC 7662')
  const jose = row(resource, 'jose')
  const fastifyJwt = row(resource, '@fastify/jwt')
  const x = (a: number, b: number) => `${(a / b).toFixed(2)}×`

  if (ceiling && on) {
    checks.push({
      target: 'cache on ≥ 0.85 × no-auth ceiling',
      measured: x(on.rps, ceiling.rps),
      met: on.rps >= 0.85 * ceiling.rps,
    })
  }
  if (ceiling && off) {
    checks.push({
      target: 'cache off ≥ 0.5 × ceiling (RS256)',
      // What one signature check alone reaches on this machine: no verifier without a cache can do better.
      measured: `${x(off.rps, ceiling.rps)}${floor ? ` (signature check alone: ${x(floor.rps, ceiling.rps)})` : ''}`,
      met: off.rps >= 0.5 * ceiling.rps,
    })
  }
  if (off && jose) {
    checks.push({
      target: 'our verifier ≥ 1.0 × jose (cache off)',
      measured: x(off.rps, jose.rps),
      met: off.rps >= jose.rps,
    })
  }
  if (off && fastifyJwt) {
    checks.push({
      target: 'our verifier ≥ 1.0 × @fastify/jwt recipe (cache off)',
      measured: x(off.rps, fastifyJwt.rps),
      met: off.rps >= fastifyJwt.rps,
    })
  }
  if (off && introspection) {
    checks.push({
      target: 'local (cache off) ≥ 5 × introspection throughput',
      measured: x(off.rps, introspection.rps),
      met: off.rps >= 5 * introspection.rps,
    })
    checks.push({
      target: 'local p99 ≤ 1/5 of introspection p99',
      measured: `${ms(off.p99)} ms vs ${ms(introspection.p99)} ms (${x(off.p99, introspection.p99)})`,
      met: off.p99 * 5 <= introspection.p99,
    })
  }
  const dpopTable = tables.find((t): t is ThroughputTable => t.id === 'dpop' && t.kind === 'throughput')
  const dpopFloor = row(dpopTable, 'floor:')
  for (const cache of ['off', 'on'] as const) {
    const bearer = row(dpopTable, `Bearer, cache ${cache}`)
    const bound = row(dpopTable, `DPoP-bound + proof, cache ${cache}`)
    if (!bearer || !bound || !dpopFloor) continue
    // What the proof adds per request (1/DPoP − 1/Bearer), in units of one ES256 signature check (1/floor).
    const cost = (1 / bound.rps - 1 / bearer.rps) * dpopFloor.rps
    checks.push({
      target: `DPoP proof ≤ 1.1 × one ES256 signature check (cache ${cache})`,
      measured: `${cost.toFixed(2)}× (DPoP ${x(bound.rps, bearer.rps)} of Bearer)`,
      met: cost <= 1.1,
    })
  }
  const ours = [off, on].filter((r): r is RowSummary => r !== undefined)
  if (ours.length > 0) {
    const requests = ours.reduce((sum, r) => sum + r.counted, 0)
    // The peers are reported too: get-jwks refetches the JWKS when its 60 s cache entry expires.
    const peers = [jose, fastifyJwt].filter((r): r is RowSummary => r !== undefined)
    const peerNote = peers.map((r) => `${r.label.split(' ')[0]}: ${count(r.counted)}`).join(', ')
    checks.push({
      target: 'zero auth-server requests after warm-up (our verifier)',
      measured: `${count(requests)} over ${count(ours.reduce((s, r) => s + r.requests, 0))} requests${peerNote ? ` (peers: ${peerNote})` : ''}`,
      met: requests === 0,
    })
  }
  // The status check's targets are scenario 6's own (judged on its paired in-process figure): see its figures.
  for (const table of tables) if (table.kind === 'figures') checks.push(...(table.checks ?? []))
  const memory = tables.find((t): t is MemoryTable => t.kind === 'memory')
  if (memory) {
    const growth = memoryGrowth(memory)
    const tokens = memory.samples.at(-1)?.tokens ?? 0
    checks.push({
      target: 'RSS growth < 64 MiB over 1,000,000 distinct tokens',
      measured: `${mib(growth)} MiB over ${count(tokens)} tokens`,
      met: tokens >= 1_000_000 ? growth < MEMORY_LIMIT : undefined,
    })
  }
  return checks
}

export function renderTargets(checks: readonly TargetCheck[]): string {
  if (checks.length === 0) return ''
  const lines = ['### Targets', '', '| target | measured | met |', '| --- | --- | :---: |']
  for (const c of checks)
    lines.push(
      `| ${c.target} | ${c.measured} | ${c.met === undefined ? '— (too few tokens)' : c.met ? 'yes' : '**no**'} |`,
    )
  return lines.join('\n')
}
