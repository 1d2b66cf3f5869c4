import type { Profile } from '../options.js'
import type { Row } from '../report.js'
import type { RunContext } from '../stack.js'

export interface ScenarioContext extends RunContext {
  profile: Profile
}

export type Scenario = (ctx: ScenarioContext) => Promise<Row>

export const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })

export const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`

export function row(scenario: string, load: string, fault: string): Row {
  return {
    scenario,
    load,
    fault,
    sent: 0,
    failed: {},
    lost: 'none',
    recovery: '—',
    violations: [],
    notes: [],
  }
}

/** Stops when `check` holds, polling every 50 ms; false after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return false
}
