import { describe, expect, it } from 'vitest'
import { BenchError } from '../src/errors.js'
import { PROFILES, parseArgs, SCENARIOS } from '../src/options.js'

describe('command line', () => {
  it('runs every scenario at full length and publishes the docs by default', () => {
    const options = parseArgs([])
    expect(options.profile).toBe(PROFILES.full)
    expect(options.scenarios).toEqual(SCENARIOS)
    expect(new Set(SCENARIOS).size).toBe(7)
    expect(options.writeDocs).toBe(true)
    expect(options.profile.memoryTokens).toBe(1_000_000)
  })

  it('keeps a quick run (the CI smoke) away from docs/ unless asked, with 20,000 memory tokens', () => {
    expect(parseArgs(['--', '--quick'])).toMatchObject({
      writeDocs: false,
      profile: { memoryTokens: 20_000 },
    })
    expect(parseArgs(['--quick', '--docs']).writeDocs).toBe(true)
  })

  it('never lets a partial run overwrite the published tables by default', () => {
    const options = parseArgs(['--only', 'memory,resource'])
    expect(options.scenarios).toEqual(['resource', 'memory'])
    expect(options.writeDocs).toBe(false)
    expect(options.writeRevocation).toBe(false)
  })

  it('lets a full run of the status scenario alone write its own section of docs/revocation.md', () => {
    expect(parseArgs(['--only', 'status'])).toMatchObject({ writeDocs: false, writeRevocation: true })
    expect(parseArgs(['--quick', '--only', 'status']).writeRevocation).toBe(false)
    expect(parseArgs(['--only', 'status', '--no-docs']).writeRevocation).toBe(false)
  })

  it('refuses unknown arguments and scenarios with the usage', () => {
    expect(() => parseArgs(['--fast'])).toThrow(BenchError)
    expect(() => parseArgs(['--only', 'speed'])).toThrow(/unknown scenario speed/)
    expect(() => parseArgs(['--cpu-prof'])).toThrow(/needs a value/)
  })
})
