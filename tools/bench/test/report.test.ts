import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { END, START, writeResults } from '../src/report/docs.js'
import type { MemoryTable, ThroughputTable } from '../src/report/model.js'
import { renderSvg } from '../src/report/svg.js'
import { renderTable } from '../src/report/table.js'
import { checkTargets } from '../src/report/targets.js'
import type { RowSummary } from '../src/rounds.js'

const row = (label: string, rps: number, p50: number, p99: number, counted = 0): RowSummary => ({
  label,
  rps,
  p50,
  p99,
  counted,
  requests: rps * 10,
  rounds: [],
})

const resource = (overrides: Partial<Record<string, RowSummary>> = {}): ThroughputTable => ({
  kind: 'throughput',
  id: 'resource',
  title: 'Scenario 1',
  unit: 'req/s',
  counted: 'auth-server requests',
  rows: [
    row('no authentication (ceiling)', 10_000, 1, 4),
    overrides.off ?? row('our verifier, cache off', 6_000, 2, 6),
    row('our verifier, cache on', 9_000, 1.1, 4.2),
    row('RFC 7662 introspection per request', 1_000, 20, 40, 10_000),
    row('jose jwtVerify + createRemoteJWKSet', 5_000, 2.5, 7),
    row('@fastify/jwt + get-jwks (README recipe)', 6_500, 2, 6),
  ],
})

const memory = (tokens: number, growthMiB: number): MemoryTable => ({
  kind: 'memory',
  id: 'memory',
  title: 'Scenario 4',
  cacheMax: 1000,
  rps: 5000,
  samples: [
    { tokens: 0, rss: 100 * 2 ** 20, heapUsed: 10 * 2 ** 20 },
    { tokens, rss: (100 + growthMiB) * 2 ** 20, heapUsed: 11 * 2 ** 20 },
  ],
})

describe('tables', () => {
  it('shows every figure with its ratio to the first row, and auth-server requests per request', () => {
    const text = renderTable(resource())
    expect(text).toContain('|  | req/s | p50 ms | p99 ms | auth-server requests |')
    expect(text).toContain(
      '| no authentication (ceiling) | 10,000 (1.00×) | 1.00 (1.00×) | 4.00 (1.00×) | 0 |',
    )
    expect(text).toContain('| our verifier, cache off | 6,000 (0.60×) | 2.00 (2.00×) | 6.00 (1.50×) | 0 |')
    expect(text).toContain('| 1,000 (0.10×) | 20.00 (20.0×) | 40.00 (10.0×) | 10,000 (1.00 per request) |')
  })

  it('adds the server CPU per request, with its ratio, when the rows measured it', () => {
    const table = resource()
    table.rows = table.rows.map((r, i) => ({ ...r, cpu: (i + 1) * 30 }))
    const text = renderTable(table)
    expect(text).toContain('|  | req/s | p50 ms | p99 ms | server CPU µs/req | auth-server requests |')
    expect(text).toContain(
      '| our verifier, cache off | 6,000 (0.60×) | 2.00 (2.00×) | 6.00 (1.50×) | 60 (2.00×) | 0 |',
    )
  })

  it('keeps a row that could not run, with its reason', () => {
    const table: ThroughputTable = {
      kind: 'throughput',
      id: 'rotation',
      title: 'rotation',
      unit: 'rotations/s',
      rows: [
        row('SQLite (file)', 400, 20, 90),
        { label: 'PostgreSQL', notRun: 'not run: TEST_DATABASE_URL unset' },
      ],
    }
    expect(renderTable(table)).toContain('| PostgreSQL | not run: TEST_DATABASE_URL unset |')
  })

  it('reports memory growth against the baseline taken after warm-up', () => {
    const text = renderTable(memory(1_000_000, 12.5))
    expect(text).toContain('| 0 (baseline, after warm-up) | 100.0 | 10.0 | 0.0 |')
    expect(text).toContain('| 1,000,000 | 112.5 | 11.0 | 12.5 |')
  })
})

describe('targets', () => {
  it('checks each target of the issue against the ratios of the run', () => {
    const checks = checkTargets([resource(), memory(1_000_000, 12.5)])
    const met = Object.fromEntries(checks.map((c) => [c.target, c.met]))
    expect(met).toEqual({
      'cache on ≥ 0.85 × no-auth ceiling': true,
      'cache off ≥ 0.5 × ceiling (RS256)': true,
      'our verifier ≥ 1.0 × jose (cache off)': true,
      'our verifier ≥ 1.0 × @fastify/jwt recipe (cache off)': false,
      'local (cache off) ≥ 5 × introspection throughput': true,
      'local p99 ≤ 1/5 of introspection p99': true,
      'zero auth-server requests after warm-up (our verifier)': true,
      'RSS growth < 64 MiB over 1,000,000 distinct tokens': true,
    })
  })

  it('fails the local targets when a local row called the auth-server or is too slow', () => {
    const checks = checkTargets([resource({ off: row('our verifier, cache off', 4_000, 3, 9, 1) })])
    const failed = checks.filter((c) => c.met === false).map((c) => c.target)
    expect(failed).toEqual([
      'cache off ≥ 0.5 × ceiling (RS256)',
      'our verifier ≥ 1.0 × jose (cache off)',
      'our verifier ≥ 1.0 × @fastify/jwt recipe (cache off)',
      'local (cache off) ≥ 5 × introspection throughput',
      'local p99 ≤ 1/5 of introspection p99',
      'zero auth-server requests after warm-up (our verifier)',
    ])
  })

  it('does not judge memory on fewer than a million tokens, and fails 64 MiB of growth', () => {
    expect(checkTargets([memory(20_000, 1)])[0]!.met).toBeUndefined()
    expect(checkTargets([memory(1_000_000, 64)])[0]!.met).toBe(false)
  })
})

describe('chart and docs', () => {
  it('draws one bar per row with escaped labels', () => {
    const table = resource()
    const svg = renderSvg([table, memory(1_000_000, 3)], 'run <1> & "quoted"')
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
    expect(svg).toContain('run &lt;1&gt; &amp; &quot;quoted&quot;')
    expect(svg.match(/<rect x=/g)).toHaveLength(table.rows.length + 2)
    expect(svg).toContain('10,000 req/s (1.00×)')
    expect(svg).toContain('103.0 MiB (+3.0 vs baseline)')
    expect(renderSvg([memory(1_000_000, -1.5)], 'c')).toContain('98.5 MiB (−1.5 vs baseline)')
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true)
  })

  it('replaces only the generated section of benchmarks.md, keeping the prose around it', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'bench-docs-')), 'benchmarks.md')
    writeFileSync(path, `# Benchmarks\n\nIntro.\n\n${START}\nold tables\n${END}\n\n## Reading\n\nProse.\n`)
    writeResults(path, `${START}\nnew tables\n${END}`)
    const text = readFileSync(path, 'utf8')
    expect(text).toBe(`# Benchmarks\n\nIntro.\n\n${START}\nnew tables\n${END}\n\n## Reading\n\nProse.\n`)
  })
})
