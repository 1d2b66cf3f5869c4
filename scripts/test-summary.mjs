// Adds up vitest's "Tests  N passed | N failed | N skipped (N)" lines from a turbo log into one closing line,
// and fails when no test ran at all.
import { readFileSync } from 'node:fs'

const log = readFileSync(process.argv[2], 'utf8').replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '')
const totals = { passed: 0, failed: 0, skipped: 0 }
let runs = 0
for (const line of log.split('\n')) {
  const summary = line.match(/\bTests\s+(.*)\(\d+\)\s*$/)
  if (!summary) continue
  runs++
  for (const [, count, kind] of summary[1].matchAll(/(\d+) (passed|failed|skipped|todo)/g)) {
    totals[kind === 'todo' ? 'skipped' : kind] += Number(count)
  }
}
console.log(
  `\n${runs} test runs: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`,
)
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`)
process.exit(runs > 0 && totals.passed > 0 && totals.failed === 0 ? 0 : 1)
