import type { Queryable } from '@stateless-auth/sql'

export interface CounterState {
  /** Hits in the current window, this one included. */
  count: number
  /** When the window ends, in epoch milliseconds. */
  resetAt: number
}

/**
 * Fixed-window counters in the database, so every replica sees one count (issue 12, item 3). Each hit is one
 * atomic statement — an UPSERT that either starts a new window or adds one, and returns the result — so a
 * burst of concurrent requests gets distinct, increasing counts on SQLite and PostgreSQL alike.
 */
export class CounterRepository {
  constructor(private readonly db: Queryable) {}

  /** Adds one to `key` (starting a window of `windowMs` when none is running) and returns the new state. */
  async hit(key: string, windowMs: number, nowMs: number): Promise<CounterState> {
    const row = await this.db.one<{ count: number | string; reset_at: number | string }>(
      `INSERT INTO counters (key, count, reset_at) VALUES ($1, 1, $2)
       ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN counters.reset_at <= $3 THEN 1 ELSE counters.count + 1 END,
         reset_at = CASE WHEN counters.reset_at <= $3 THEN $2 ELSE counters.reset_at END
       RETURNING count, reset_at`,
      [key, nowMs + windowMs, nowMs],
    )
    return { count: Number(row!.count), resetAt: Number(row!.reset_at) }
  }

  /** The state of `key` without counting, or a zero count when no window is running. */
  async peek(key: string, nowMs: number): Promise<CounterState> {
    const row = await this.db.one<{ count: number | string; reset_at: number | string }>(
      'SELECT count, reset_at FROM counters WHERE key = $1 AND reset_at > $2',
      [key, nowMs],
    )
    return row ? { count: Number(row.count), resetAt: Number(row.reset_at) } : { count: 0, resetAt: nowMs }
  }

  async clear(key: string): Promise<void> {
    await this.db.execute('DELETE FROM counters WHERE key = $1', [key])
  }
}
