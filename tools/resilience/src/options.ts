/** How long and how hard each scenario runs. */
export interface Profile {
  name: 'full' | 'quick'
  /** Concurrent clients of every load. */
  concurrency: number
  /** Scenario 1: seconds the auth-server stays killed. */
  outageSeconds: number
  /** Scenario 1: refresh-token families issued before the kill, each used twice after the restart. */
  families: number
  /** Scenario 3: SIGKILLs during code redemptions and refresh rotations. */
  crashes: number
  /** Scenario 2: seconds PostgreSQL stays stopped. */
  pgStopSeconds: number
  /** Scenario 5: seconds of load per dependency fault. */
  phaseSeconds: number
  /** Scenario 7: seconds of mixed traffic. */
  soakSeconds: number
}

export const PROFILES: Record<Profile['name'], Profile> = {
  full: {
    name: 'full',
    concurrency: 16,
    outageSeconds: 60,
    families: 40,
    crashes: 50,
    pgStopSeconds: 15,
    phaseSeconds: 10,
    soakSeconds: 600,
  },
  quick: {
    name: 'quick',
    concurrency: 8,
    outageSeconds: 5,
    families: 5,
    crashes: 5,
    pgStopSeconds: 5,
    phaseSeconds: 3,
    soakSeconds: 30,
  },
}

export const SCENARIOS = ['auth-gone', 'pg-restart', 'crash-grant', 'shutdown', 'slow-deps', 'soak'] as const
export type ScenarioName = (typeof SCENARIOS)[number]

export interface CliOptions {
  profile: Profile
  scenarios: ScenarioName[]
  /** Scenario 2 restarts the PostgreSQL cluster: `true` forces it, `false` leaves it out, undefined decides. */
  pgRestart: boolean | undefined
  writeDocs: boolean
  docsDir: string | undefined
}

const USAGE = `usage: resilience [--quick] [--only ${SCENARIOS.join(',')}] [--pg-restart | --no-pg-restart]
                  [--soak-seconds N] [--outage-seconds N] [--crashes N] [--pg-stop-seconds N]
                  [--no-docs] [--docs-dir DIR]
  --quick           every scenario, small enough for CI (about 3 minutes); does not touch docs/
  --pg-restart      run scenario 2 (restarts the PostgreSQL cluster of TEST_DATABASE_URL; root only). By default it
                    runs in the full run, and in --quick only when CI=true (CI owns its cluster)
  --soak-seconds    length of scenario 7 (full: 600)
  --no-docs         full run without rewriting docs/resilience.md`

const positive = (flag: string, value: string | undefined): number => {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} needs a positive integer\n${USAGE}`)
  return n
}

export function parseArgs(argv: readonly string[]): CliOptions {
  let quick = false
  let pgRestart: boolean | undefined
  let writeDocs: boolean | undefined
  let docsDir: string | undefined
  let scenarios: ScenarioName[] = [...SCENARIOS]
  const overrides: Partial<Profile> = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') continue
    else if (arg === '--quick') quick = true
    else if (arg === '--pg-restart') pgRestart = true
    else if (arg === '--no-pg-restart') pgRestart = false
    else if (arg === '--no-docs') writeDocs = false
    else if (arg === '--docs') writeDocs = true
    else if (arg === '--docs-dir') docsDir = argv[++i]
    else if (arg === '--soak-seconds') overrides.soakSeconds = positive(arg, argv[++i])
    else if (arg === '--outage-seconds') overrides.outageSeconds = positive(arg, argv[++i])
    else if (arg === '--crashes') overrides.crashes = positive(arg, argv[++i])
    else if (arg === '--pg-stop-seconds') overrides.pgStopSeconds = positive(arg, argv[++i])
    else if (arg === '--only') {
      const names = (argv[++i] ?? '').split(',')
      const unknown = names.filter((n) => !(SCENARIOS as readonly string[]).includes(n))
      if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}\n${USAGE}`)
      scenarios = names as ScenarioName[]
    } else throw new Error(`unknown argument ${arg}\n${USAGE}`)
  }
  const profile = { ...PROFILES[quick ? 'quick' : 'full'], ...overrides }
  return { profile, scenarios, pgRestart, writeDocs: writeDocs ?? !quick, docsDir }
}
