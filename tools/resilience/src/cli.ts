#!/usr/bin/env node
/**
 * `pnpm resilience`: starts the built apps as processes on 127.0.0.1, injects one fault per scenario under load,
 * checks the invariants (in the responses and in the databases) and prints one table row per scenario. Any broken
 * invariant makes the run exit 1. A full run also rewrites the generated section of docs/resilience.md.
 */
import { cpus, loadavg, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import { elapsedLog, withCleanups, workspaceRoot } from '@stateless-auth/service-kit/testing'
import { type CliOptions, parseArgs, type ScenarioName } from './options.js'
import { type Row, renderNotes, renderTable, writeResults } from './report.js'
import { authGone } from './scenarios/auth-gone.js'
import type { Scenario, ScenarioContext } from './scenarios/common.js'
import { crashGrant } from './scenarios/crash-grant.js'
import { pgRestart, pgRestartSkipReason } from './scenarios/pg-restart.js'
import { shutdown } from './scenarios/shutdown.js'
import { slowDeps } from './scenarios/slow-deps.js'
import { soak } from './scenarios/soak.js'

const RUNNERS: Record<ScenarioName, Scenario> = {
  'auth-gone': authGone,
  'pg-restart': pgRestart,
  'crash-grant': crashGrant,
  shutdown,
  'slow-deps': slowDeps,
  soak,
}

async function runOne(name: ScenarioName, base: Omit<ScenarioContext, 'defer'>, options: CliOptions) {
  if (name === 'pg-restart') {
    const skip = pgRestartSkipReason(base.backend, options)
    if (skip) {
      base.log(`pg-restart skipped: ${skip}`)
      return { ...skippedRow('2. PostgreSQL restarts under the auth-server'), skipped: skip }
    }
  }
  try {
    return await withCleanups((defer) => RUNNERS[name]({ ...base, defer }), base.log)
  } catch (error) {
    // A scenario that could not run to its checks is a failure of the run, with its reason.
    const failed = skippedRow(name)
    failed.violations.push(`the scenario failed: ${(error as Error).message}`)
    base.log(`${name} failed: ${(error as Error).stack}`)
    return failed
  }
}

function skippedRow(scenario: string): Row {
  return {
    scenario,
    load: '—',
    fault: '—',
    sent: 0,
    failed: {},
    lost: '—',
    recovery: '—',
    violations: [],
    notes: [],
  }
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2))
  const { profile } = options
  const started = Date.now()
  const log = elapsedLog('resilience')
  const backend = process.env.TEST_DATABASE_URL ? 'postgres' : 'sqlite'
  log(
    `${profile.name} run on ${backend}: ${options.scenarios.join(', ')}; load average ${loadavg()[0]!.toFixed(2)}`,
  )
  const rows: Row[] = []
  for (const name of options.scenarios) {
    const scenarioStart = Date.now()
    const row = await runOne(name, { profile, log, backend }, options)
    log(`${name} took ${((Date.now() - scenarioStart) / 1000).toFixed(1)} s`)
    rows.push(row)
    process.stdout.write(`\n${renderTable([row])}\n${renderNotes([row])}\n`)
  }
  const table = renderTable(rows)
  process.stdout.write(`\n${table}\n\n${renderNotes(rows)}\n`)
  if (options.writeDocs) {
    const path = join(resolve(options.docsDir ?? join(workspaceRoot(process.cwd()), 'docs')), 'resilience.md')
    const when = new Date(started).toISOString().replace(/\.\d+Z$/, 'Z')
    const settings = Object.entries(profile)
      .map(([key, value]) => `${key} ${value}`)
      .join(', ')
    writeResults(
      path,
      [
        `Run of ${when}: \`pnpm resilience ${process.argv.slice(2).join(' ')}\`, ${Math.round((Date.now() - started) / 1000)} s in all, ` +
          `${backend === 'postgres' ? 'PostgreSQL' : 'SQLite'} databases; ${cpus().length} × ${cpus()[0]?.model.trim()}, ` +
          `${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, load average ${loadavg()
            .map((l) => l.toFixed(2))
            .join(' ')} at the end (the machine is shared).`,
        '',
        `Settings: ${settings}.`,
        '',
        table,
        '',
        renderNotes(rows),
      ].join('\n'),
    )
    log(`wrote ${path}`)
  }
  const broken = rows.flatMap((row) => row.violations.map((v) => `${row.scenario}: ${v}`))
  if (broken.length > 0) {
    process.stderr.write(
      `\n[resilience] ${broken.length} invariant(s) broken:\n${broken.map((b) => `  - ${b}`).join('\n')}\n`,
    )
    return 1
  }
  log(`every invariant held (${rows.filter((r) => r.skipped).length} scenario(s) skipped)`)
  return 0
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`[resilience] failed: ${(error as Error).stack ?? error}\n`)
    process.exit(1)
  },
)
