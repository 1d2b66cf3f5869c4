import { count, mib, ratio } from './format.js'
import { isNotRun, type Table } from './model.js'

const WIDTH = 1040
const LABEL = 330
// Room right of the longest bar for its value text ("112.9 MiB (+0.3 vs baseline)").
const BAR_AREA = WIDTH - LABEL - 230
const BAR = 20
const GAP = 6
const PANEL_GAP = 36

const xml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

// Our rows in blue, the ceiling in green, the per-request call to the auth-server in orange, peers in grey.
function colour(label: string): string {
  if (label.startsWith('no authentication')) return '#2e7d32'
  if (label.startsWith('our ') || /^(RS|PS|ES)256$|^EdDSA$/.test(label)) return '#1565c0'
  if (label.startsWith('RFC 7662')) return '#ef6c00'
  if (label.startsWith('SQLite') || label.startsWith('PostgreSQL')) return '#6a1b9a'
  return '#757575'
}

interface Bar {
  label: string
  value: number
  text: string
  colour: string
}

function bars(table: Table): Bar[] {
  if (table.kind === 'figures') return []
  if (table.kind === 'memory') {
    const base = table.samples[0]?.rss ?? 0
    return table.samples.map((s) => ({
      label: s.tokens === 0 ? 'baseline (after warm-up)' : `${count(s.tokens)} tokens`,
      value: s.rss,
      text: `${mib(s.rss)} MiB (${s.rss >= base ? '+' : '−'}${mib(Math.abs(s.rss - base))} vs baseline)`,
      colour: '#1565c0',
    }))
  }
  const base = table.rows.find((r) => !isNotRun(r))
  return table.rows.map((row) =>
    isNotRun(row) || !base || isNotRun(base)
      ? { label: row.label, value: 0, text: isNotRun(row) ? row.notRun : '', colour: '#9e9e9e' }
      : {
          label: row.label,
          value: row.rps,
          text: `${count(row.rps)} ${table.unit} (${ratio(row.rps, base.rps)})`,
          colour: colour(row.label),
        },
  )
}

/**
 * A horizontal bar chart of every table of the run, one panel per table: throughput (with the ratio to the
 * panel's first row) or resident memory per checkpoint. Plain SVG 1.1 with system fonts, no script.
 */
export function renderSvg(tables: readonly Table[], caption: string): string {
  const parts: string[] = []
  let y = 40
  parts.push(`<text x="16" y="24" font-size="15" font-weight="bold">${xml(caption)}</text>`)
  // Figures (sizes, times) have no common scale to draw: they are in the tables only.
  for (const table of tables.filter((t) => t.kind !== 'figures')) {
    const list = bars(table)
    const max = Math.max(1, ...list.map((b) => b.value))
    y += 14
    parts.push(`<text x="16" y="${y}" font-size="13" font-weight="bold">${xml(table.title)}</text>`)
    y += 10
    for (const bar of list) {
      const width = Math.max(bar.value > 0 ? 2 : 0, Math.round((bar.value / max) * BAR_AREA))
      parts.push(
        `<text x="${LABEL - 8}" y="${y + BAR * 0.72}" font-size="12" text-anchor="end">${xml(bar.label)}</text>`,
        `<rect x="${LABEL}" y="${y}" width="${width}" height="${BAR}" fill="${bar.colour}" rx="2"/>`,
        `<text x="${LABEL + width + 6}" y="${y + BAR * 0.72}" font-size="12">${xml(bar.text)}</text>`,
      )
      y += BAR + GAP
    }
    y += PANEL_GAP - GAP
  }
  const height = y
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" role="img">`,
    `<title>${xml(caption)}</title>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n')
}
