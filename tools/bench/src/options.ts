import { BenchError } from './errors.js'

/** How long and how hard each scenario runs. */
export interface BenchProfile {
  name: 'full' | 'quick'
  /** Measured rounds; every row runs once per round, in rotating order, and its median is reported. */
  rounds: number
  /** Seconds of load per row and round. */
  duration: number
  /** Seconds of unmeasured load per row before the first round (JIT, JWKS fetch, caches filled). */
  warmup: number
  /** Fixed number of concurrent connections for every load. */
  connections: number
  /** Distinct valid tokens sent to one resource server in the memory scenario. */
  memoryTokens: number
  /** Distinct tokens each resource-cost row cycles through. */
  tokenPool: number
}

export const PROFILES: Record<BenchProfile['name'], BenchProfile> = {
  full: {
    name: 'full',
    rounds: 5,
    duration: 4,
    warmup: 2,
    connections: 32,
    memoryTokens: 1_000_000,
    tokenPool: 200,
  },
  quick: {
    name: 'quick',
    rounds: 2,
    duration: 0.5,
    warmup: 0.5,
    connections: 16,
    memoryTokens: 20_000,
    tokenPool: 20,
  },
}

export type ScenarioName = 'resource' | 'algorithms' | 'dpop' | 'issuance' | 'flood' | 'memory' | 'status'
export const SCENARIOS: readonly ScenarioName[] = [
  'resource',
  'algorithms',
  'dpop',
  'issuance',
  'flood',
  'memory',
  'status',
]

export interface CliOptions {
  profile: BenchProfile
  scenarios: ScenarioName[]
  /** Update docs/benchmarks.md (generated section) and docs/benchmarks.svg from this run. */
  writeDocs: boolean
  /** Directory for `--cpu-prof` profiles of the resource-server children, when profiling. */
  cpuProfDir: string | undefined
  /** Where benchmarks.md and benchmarks.svg are written (`--docs-dir`); by default the workspace's `docs/`. */
  docsDir: string | undefined
  /** Update the measured section of docs/revocation.md: a full run that includes the status scenario. */
  writeRevocation: boolean
}

const USAGE = `usage: bench [--quick] [--only resource,algorithms,dpop,issuance,flood,memory,status] [--no-docs | --docs] [--docs-dir DIR] [--cpu-prof DIR]
  --quick      short smoke run (under a minute); does not touch docs/ unless --docs is given
  --only       run a subset of the scenarios
  --no-docs    full run without rewriting docs/benchmarks.md and docs/benchmarks.svg
  --docs-dir   where to write benchmarks.md and .svg (default: docs/ at the workspace root)
  --cpu-prof   write V8 CPU profiles of the resource-server children into DIR`

export function parseArgs(argv: readonly string[]): CliOptions {
  let quick = false
  let docs: boolean | undefined
  let scenarios = [...SCENARIOS]
  let cpuProfDir: string | undefined
  let docsDir: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--') continue
    if (arg === '--quick') quick = true
    else if (arg === '--docs') docs = true
    else if (arg === '--no-docs') docs = false
    else if (arg === '--only' || arg === '--cpu-prof' || arg === '--docs-dir') {
      const value = argv[++i]
      if (value === undefined || value.startsWith('--')) {
        throw new BenchError('BENCH_ERR_INVALID_ARGS', `${arg} needs a value\n${USAGE}`)
      }
      if (arg === '--cpu-prof') cpuProfDir = value
      else if (arg === '--docs-dir') docsDir = value
      else {
        const names = value.split(',')
        const unknown = names.filter((n) => !(SCENARIOS as string[]).includes(n))
        if (unknown.length > 0 || names.length === 0) {
          throw new BenchError('BENCH_ERR_INVALID_ARGS', `unknown scenario ${unknown.join(', ')}\n${USAGE}`)
        }
        scenarios = SCENARIOS.filter((s) => names.includes(s))
      }
    } else throw new BenchError('BENCH_ERR_INVALID_ARGS', `unknown argument ${arg}\n${USAGE}`)
  }
  // A partial run must not overwrite the published tables with half of them.
  const complete = scenarios.length === SCENARIOS.length
  const writeDocs = docs ?? (!quick && complete)
  const writeRevocation = scenarios.includes('status') && (docs ?? !quick)
  return {
    profile: PROFILES[quick ? 'quick' : 'full'],
    scenarios,
    writeDocs,
    cpuProfDir,
    docsDir,
    writeRevocation,
  }
}
