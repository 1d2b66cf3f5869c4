import { normalizeIP } from '@fastify/rate-limit'
import type { CounterRepository } from '../storage/counters.js'

/** What the login handler may do with one attempt. */
export type LoginAttempt =
  | {
      allowed: true /** Call after a correct password: the attempt was not a failure after all. */
      succeeded(): Promise<void>
    }
  | { allowed: false /** Seconds until this (account, source) pair may try again. */; retryAfter: number }

/**
 * Brake on password guessing, on top of the per-IP rate limit (issue 12, item 3).
 *
 * - A failure slot is reserved *before* the password is checked, by one atomic increment in the database, and
 *   given back when the password was right. Checking first and counting after the slow scrypt let a burst of
 *   100 concurrent guesses all pass the check before any failure was recorded.
 * - The counters live in the database, so every replica sees the same count.
 * - The key is the (account, source) pair, not the account. Locking the account for everyone let anyone lock a
 *   named user out by failing five times a minute; per pair, a guessing source is told to retry later while the
 *   user, from anywhere else, still signs in. The cost is that a guesser with many addresses gets `maxFailures`
 *   tries per address per window; the per-IP rate limit and scrypt bound that, and IPv6 sources are grouped by
 *   /64 so one host cannot mint fresh sources.
 */
export class LoginThrottle {
  constructor(
    private readonly counters: CounterRepository,
    private readonly maxFailures: number,
    private readonly windowSeconds: number,
    /** Clock in epoch milliseconds. */
    private readonly nowMs: () => number,
  ) {}

  async attempt(username: string, source: string): Promise<LoginAttempt> {
    const key = `login:${normalizeIP(source)}:${username.toLowerCase()}`
    const now = this.nowMs()
    const { count, resetAt } = await this.counters.hit(key, this.windowSeconds * 1000, now)
    if (count > this.maxFailures) {
      return { allowed: false, retryAfter: Math.max(1, Math.ceil((resetAt - now) / 1000)) }
    }
    // A success clears the pair's failures: the user proved the password, earlier typos no longer count.
    return { allowed: true, succeeded: () => this.counters.clear(key) }
  }
}
