import type { SqlValue } from './types.js'

interface Rewritten {
  sql: string
  /** For each `?` in the rewritten SQL, the index of the original parameter it takes. */
  order: number[]
}

const cache = new Map<string, Rewritten>()
const CACHE_LIMIT = 512

/**
 * Rewrites PostgreSQL `$n` placeholders into SQLite's positional `?`, skipping quoted strings and identifiers,
 * so that one SQL text serves both backends.
 */
export function toPositional(sql: string): Rewritten {
  const hit = cache.get(sql)
  if (hit) return hit
  const order: number[] = []
  let out = ''
  let quote: string | null = null
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i]!
    if (quote) {
      out += ch
      if (ch === quote) quote = null
      continue
    }
    if (ch === "'" || ch === '"') {
      quote = ch
      out += ch
      continue
    }
    if (ch === '$') {
      let j = i + 1
      while (j < sql.length && sql.charCodeAt(j) >= 48 && sql.charCodeAt(j) <= 57) j++
      if (j > i + 1) {
        order.push(Number(sql.slice(i + 1, j)) - 1)
        out += '?'
        i = j - 1
        continue
      }
    }
    out += ch
  }
  const rewritten = { sql: out, order }
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!)
  cache.set(sql, rewritten)
  return rewritten
}

/** SQLite binds numbers, strings, bigints, buffers and null only. */
export function toSqliteValue(value: SqlValue): Exclude<SqlValue, boolean | undefined> {
  if (value === undefined) return null
  if (typeof value === 'boolean') return value ? 1 : 0
  return value
}
