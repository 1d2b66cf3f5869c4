import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseArgs, SCENARIOS } from '../src/options.js'
import { END, formatFailed, type Row, renderTable, START, writeResults } from '../src/report.js'
import { pgRestartSkipReason } from '../src/scenarios/pg-restart.js'
import { causeOf, percentile, slope } from '../src/traffic.js'

const row = (over: Partial<Row> = {}): Row => ({
  scenario: 's',
  load: 'l',
  fault: 'f',
  sent: 10,
  failed: {},
  lost: 'none',
  recovery: '1 s',
  violations: [],
  notes: [],
  ...over,
})

describe('parseArgs', () => {
  it('runs every scenario, full profile, writing the docs by default', () => {
    const options = parseArgs([])
    expect(options.scenarios).toEqual([...SCENARIOS])
    expect(options.profile.name).toBe('full')
    expect(options.writeDocs).toBe(true)
  })
  it('--quick leaves the docs alone; overrides and --only apply', () => {
    const options = parseArgs(['--', '--quick', '--only', 'soak,auth-gone', '--soak-seconds', '12'])
    expect(options).toMatchObject({ writeDocs: false, scenarios: ['soak', 'auth-gone'] })
    expect(options.profile).toMatchObject({ name: 'quick', soakSeconds: 12 })
  })
  it('refuses unknown scenarios and arguments', () => {
    expect(() => parseArgs(['--only', 'nope'])).toThrow(/unknown scenario nope/)
    expect(() => parseArgs(['--fast'])).toThrow(/unknown argument --fast/)
    expect(() => parseArgs(['--crashes', '0'])).toThrow(/positive integer/)
  })
})

describe('pgRestartSkipReason', () => {
  const quick = parseArgs(['--quick'])
  it('skips on SQLite, on --no-pg-restart, and in a quick run outside CI', () => {
    expect(pgRestartSkipReason('sqlite', quick)).toMatch(/TEST_DATABASE_URL unset/)
    expect(pgRestartSkipReason('postgres', { ...quick, pgRestart: false })).toBe('--no-pg-restart')
    const ci = process.env.CI
    delete process.env.CI
    try {
      expect(pgRestartSkipReason('postgres', quick)).toMatch(/outside CI/)
    } finally {
      if (ci !== undefined) process.env.CI = ci
    }
  })
})

describe('report', () => {
  it('counts failures by cause, largest first', () => {
    expect(formatFailed({})).toBe('0')
    expect(formatFailed({ a: 1, b: 3 })).toBe('4 (b: 3, a: 1)')
  })
  it('marks broken and skipped rows', () => {
    const table = renderTable([row({ violations: ['x|y'] }), row({ skipped: 'why' })])
    expect(table).toContain('**broken**: x\\|y')
    expect(table).toContain('skipped: why')
  })
  it('rewrites only the text between the markers', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'resilience-test-')), 'resilience.md')
    writeFileSync(path, `# Title\n\nprose\n\n${START}\nold\n${END}\n\nafter\n`)
    writeResults(path, 'new figures')
    const text = readFileSync(path, 'utf8')
    expect(text).toContain('prose')
    expect(text).toContain('after')
    expect(text).toContain('new figures')
    expect(text).not.toContain('old')
  })
})

describe('traffic helpers', () => {
  it('percentile and slope', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3)
    expect(percentile([1, 2, 3, 4, 100], 99)).toBe(100)
    expect(
      slope([
        [0, 1],
        [1, 3],
        [2, 5],
      ]),
    ).toBeCloseTo(2)
    expect(slope([[0, 1]])).toBe(0)
  })
  it('names the cause of a failed fetch', () => {
    expect(causeOf(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }))).toBe(
      'ECONNREFUSED',
    )
    expect(causeOf(Object.assign(new TypeError('fetch failed'), { cause: { code: 'UND_ERR_SOCKET' } }))).toBe(
      'ECONNRESET',
    )
    expect(causeOf(new DOMException('timed out', 'TimeoutError'))).toBe('timeout')
  })
})
