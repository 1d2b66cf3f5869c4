#!/usr/bin/env node
/**
 * `pnpm bench`: starts the servers on 127.0.0.1, loads them side by side and prints one table per scenario.
 * A full run also rewrites the generated section of docs/benchmarks.md and docs/benchmarks.svg.
 */
import { writeFileSync } from 'node:fs'
import { cpus, freemem, loadavg, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import { elapsedLog, workspaceRoot } from '@stateless-auth/service-kit/testing'
import { BenchError } from './errors.js'
import { parseArgs, SCENARIOS, type ScenarioName } from './options.js'
import {
  REVOCATION_MARKERS,
  renderResults,
  renderRevocation,
  summaryLine,
  writeResults,
} from './report/docs.js'
import type { BenchReport, Table } from './report/model.js'
import { renderSvg } from './report/svg.js'
import { renderTable } from './report/table.js'
import { checkTargets, renderTargets } from './report/targets.js'
import { algorithms } from './scenarios/algorithms.js'
import { runScenario, type Scenario } from './scenarios/common.js'
import { dpop } from './scenarios/dpop.js'
import { issuance } from './scenarios/issuance.js'
import { memory } from './scenarios/memory.js'
import { resourceCost } from './scenarios/resource-cost.js'
import { secretFlood } from './scenarios/secret-flood.js'
import { statusCost } from './scenarios/status.js'

const SCENARIO_RUNNERS: Record<ScenarioName, Scenario> = {
  resource: resourceCost,
  algorithms,
  dpop,
  issuance,
  flood: secretFlood,
  memory,
  status: statusCost,
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2))
  const { profile } = options
  const started = Date.now()
  const log = elapsedLog('bench')
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.versions.node,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: loadavg(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
  }
  log(
    `${profile.name} run: ${options.scenarios.join(', ')}; load average ${machine.loadAverage.map((l) => l.toFixed(2)).join(' ')}, ${Math.round(freemem() / 2 ** 20)} MiB free`,
  )
  const execArgv = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : []

  const tables: Table[] = []
  for (const name of options.scenarios) {
    const scenarioStart = Date.now()
    const result = await runScenario(SCENARIO_RUNNERS[name], { profile, log, resourceExecArgv: execArgv })
    log(`${name} took ${((Date.now() - scenarioStart) / 1000).toFixed(1)} s`)
    for (const table of result) {
      tables.push(table)
      process.stdout.write(`\n${renderTable(table)}\n`)
    }
  }
  const report: BenchReport = {
    profile: profile.name,
    command: `pnpm bench${profile.name === 'quick' ? ' --quick' : ''}${options.scenarios.length < SCENARIOS.length ? ` --only ${options.scenarios.join(',')}` : ''}`,
    startedAt: new Date(started).toISOString().replace(/\.\d+Z$/, 'Z'),
    durationSeconds: (Date.now() - started) / 1000,
    machine,
    settings: profile,
    tables,
  }
  process.stdout.write(`\n${renderTargets(checkTargets(tables))}\n`)
  if (options.writeDocs) {
    const docsDir = resolve(options.docsDir ?? join(workspaceRoot(process.cwd()), 'docs'))
    const caption = `stateless-auth benchmarks — ${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}, ${report.startedAt}`
    writeFileSync(join(docsDir, 'benchmarks.svg'), renderSvg(tables, caption))
    writeResults(join(docsDir, 'benchmarks.md'), renderResults(report, 'benchmarks.svg'))
    log(`wrote ${join(docsDir, 'benchmarks.md')} and benchmarks.svg`)
  }
  // docs/revocation.md holds the status scenario's tables only, so a full run of that scenario alone updates them.
  if (options.writeRevocation) {
    const path = join(resolve(options.docsDir ?? join(workspaceRoot(process.cwd()), 'docs')), 'revocation.md')
    writeResults(path, renderRevocation(report), REVOCATION_MARKERS)
    log(`wrote the measured section of ${path}`)
  }
  log(summaryLine(report))
}

main().then(
  // Children are closed by now; exit explicitly so a stray keep-alive socket cannot hold the process open.
  () => process.exit(0),
  (error: unknown) => {
    const code = error instanceof BenchError ? `${error.code}: ` : ''
    process.stderr.write(`[bench] failed: ${code}${(error as Error).stack ?? error}\n`)
    process.exit(1)
  },
)
