import { describe, expect, it } from 'vitest'
import { Metrics } from '../src/index.js'

describe('Prometheus text', () => {
  it('renders declared counters at 0 and labelled series with escaped values', () => {
    const metrics = new Metrics().define('a_total', 'A.').define('b_total', 'B.')
    metrics.inc('b_total', { reason: 'unknown_kid', note: 'say "hi"\\n' })
    metrics.inc('b_total', { note: 'say "hi"\\n', reason: 'unknown_kid' }, 2)
    expect(metrics.render()).toBe(
      [
        '# HELP a_total A.',
        '# TYPE a_total counter',
        'a_total 0',
        '# HELP b_total B.',
        '# TYPE b_total counter',
        'b_total{note="say \\"hi\\"\\\\n",reason="unknown_kid"} 3',
        '',
      ].join('\n'),
    )
    expect(metrics.total('b_total')).toBe(3)
  })

  it('refuses undeclared counters and invalid names', () => {
    expect(() => new Metrics().inc('nope')).toThrow(/not defined/)
    expect(() => new Metrics().define('bad-name', 'x')).toThrow(/invalid metric name/)
  })
})
