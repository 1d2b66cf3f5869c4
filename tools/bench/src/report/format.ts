/** Numbers as the tables show them: thousands separated, latencies with two decimals, ratios with a ×. */
export const count = (n: number) => Math.round(n).toLocaleString('en-US')
export const ms = (n: number) => n.toFixed(2)
export const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1)

export function ratio(value: number, base: number): string {
  if (!Number.isFinite(value / base) || base === 0) return '—'
  const r = value / base
  return `${r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`
}
