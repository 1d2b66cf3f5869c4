/** One step's verdict: `skipped` only when the setup makes the step impossible (said why), never to hide a failure. */
export type Verdict = 'ok' | 'failed' | 'skipped'

export interface StepRecord {
  title: string
  expected: string
  verdict: Verdict
  note: string
}

export interface Narrator {
  step(title: string, expected: string): void
  sent(line: string): void
  got(line: string): void
  why(line: string): void
  done(verdict: Verdict, note: string): void
  summary(): StepRecord[]
}

/** Prints each step as: title, what was sent (→), what came back (←), one line of why (∵), verdict. */
export function createNarrator(print: (line: string) => void, colour = false): Narrator {
  const records: StepRecord[] = []
  let current: { title: string; expected: string } | undefined
  const paint = (code: number, text: string) => (colour ? `\x1b[${code}m${text}\x1b[0m` : text)
  return {
    step(title, expected) {
      current = { title, expected }
      print('')
      print(paint(1, `${records.length + 1}. ${title}`))
    },
    sent: (line) => print(`   → ${line}`),
    got: (line) => print(`   ← ${line}`),
    why: (line) => print(paint(2, `   ∵ ${line}`)),
    done(verdict, note) {
      if (!current) return
      const mark =
        verdict === 'ok'
          ? paint(32, '✔ as explained')
          : verdict === 'failed'
            ? paint(31, '✘ NOT as explained')
            : paint(33, '• skipped')
      print(`   ${mark}${note ? `: ${note}` : ''}`)
      records.push({ ...current, verdict, note })
      current = undefined
    },
    summary: () => records,
  }
}

/** The closing table, plain text so it reads the same in a terminal, a CI log and the README. */
export function summaryTable(records: StepRecord[]): string {
  const rows = records.map((r, i) => [`${i + 1}`, r.title, r.expected, r.verdict])
  const head = ['#', 'step', 'expected', 'result']
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)))
  const line = (cells: string[]) => `| ${cells.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`
  const failed = records.filter((r) => r.verdict === 'failed').length
  const passed = records.filter((r) => r.verdict === 'ok').length
  const skipped = records.length - failed - passed
  return [
    line(head),
    rule,
    ...rows.map(line),
    '',
    `${passed} as explained, ${failed} not, ${skipped} skipped`,
  ].join('\n')
}
