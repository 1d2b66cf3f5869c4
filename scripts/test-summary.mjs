// Adds up vitest's "Tests  N passed | N failed | N skipped (N)" lines from a turbo log, and the closing
// "N passed, N failed" line of any further log, into one closing line; fails when no test ran at all.
import { readFileSync } from 'node:fs'

const log = readFileSync(process.argv[2], 'utf8').replace(
  new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'),
  '',
)
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
// Further logs (the compose smoke test) each end with a plain "N passed, N failed" line; none means it broke.
for (const file of process.argv.slice(3)) {
  const last = [
    ...readFileSync(file, 'utf8').matchAll(/^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?/gm),
  ].at(-1)
  if (!last) {
    totals.failed++
    continue
  }
  runs++
  totals.passed += Number(last[1])
  totals.failed += Number(last[2])
  totals.skipped += Number(last[3] ?? 0)
}
console.log(
  `\n${runs} test runs: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`,
)
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`)
process.exit(runs > 0 && totals.passed > 0 && totals.failed === 0 ? 0 : 1)
