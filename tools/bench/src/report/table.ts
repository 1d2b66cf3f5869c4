import { count, mib, ms, ratio } from './format.js'
import { type FiguresTable, isNotRun, type MemoryTable, type Table, type ThroughputTable } from './model.js'

const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`

function throughputTable(table: ThroughputTable): string[] {
  const base = table.rows.find((row) => !isNotRun(row))
  const header = ['', table.unit, 'p50 ms', 'p99 ms']
  const withCpu = base !== undefined && !isNotRun(base) && base.cpu !== undefined
  if (withCpu) header.push('server CPU µs/req')
  if (table.counted) header.push(table.counted)
  const out = [line(header), line(header.map((_, i) => (i === 0 ? '---' : '---:')))]
  for (const row of table.rows) {
    if (isNotRun(row) || !base || isNotRun(base)) {
      out.push(line([row.label, isNotRun(row) ? row.notRun : '', ...header.slice(2).map(() => '')]))
      continue
    }
    const cells = [
      row.label,
      `${count(row.rps)} (${ratio(row.rps, base.rps)})`,
      `${ms(row.p50)} (${ratio(row.p50, base.p50)})`,
      `${ms(row.p99)} (${ratio(row.p99, base.p99)})`,
    ]
    if (withCpu)
      cells.push(row.cpu === undefined ? '' : `${row.cpu.toFixed(0)} (${ratio(row.cpu, base.cpu!)})`)
    if (table.counted) {
      cells.push(
        row.counted === 0
          ? '0'
          : `${count(row.counted)} (${(row.counted / row.requests).toFixed(2)} per request)`,
      )
    }
    out.push(line(cells))
  }
  return out
}

/** RSS growth of the last sample over the baseline (the first sample, after warm-up). */
export function memoryGrowth(table: MemoryTable): number {
  const first = table.samples[0]
  const last = table.samples.at(-1)
  return first && last ? last.rss - first.rss : 0
}

function memoryTable(table: MemoryTable): string[] {
  const header = ['distinct tokens sent', 'RSS MiB', 'heap used MiB', 'RSS growth MiB']
  const out = [line(header), line(['---:', '---:', '---:', '---:'])]
  const base = table.samples[0]
  for (const sample of table.samples) {
    out.push(
      line([
        sample.tokens === 0 ? '0 (baseline, after warm-up)' : count(sample.tokens),
        mib(sample.rss),
        mib(sample.heapUsed),
        base ? mib(sample.rss - base.rss) : '',
      ]),
    )
  }
  out.push('')
  out.push(
    `Verified-token cache bounded at ${count(table.cacheMax)} entries; ${count(table.rps)} tokens/s verified while sending (every one a cache miss).`,
  )
  return out
}

function figuresTable(table: FiguresTable): string[] {
  return [line(['', 'measured']), line(['---', '---:']), ...table.rows.map((r) => line([r.label, r.value]))]
}

/** One scenario table as GitHub-flavoured markdown (also readable as plain text in a terminal). */
export function renderTable(table: Table): string {
  const body =
    table.kind === 'memory'
      ? memoryTable(table)
      : table.kind === 'figures'
        ? figuresTable(table)
        : throughputTable(table)
  return [`### ${table.title}`, '', ...body].join('\n')
}
