/**
 * Per-account brake on password guessing, on top of the per-IP rate limit: after `maxFailures` failed logins
 * for one username inside the window, that username is refused until the window ends (whichever IP asks).
 * In memory: each replica counts on its own, which still bounds guesses to replicas × maxFailures per window.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; resetAt: number }>()

  constructor(
    private readonly maxFailures: number,
    private readonly windowSeconds: number,
    private readonly now: () => number,
  ) {}

  /** Seconds until the account may try again, or 0 when it may try now. */
  retryAfter(username: string): number {
    const entry = this.failures.get(username.toLowerCase())
    if (!entry) return 0
    const now = this.now()
    if (entry.resetAt <= now) {
      this.failures.delete(username.toLowerCase())
      return 0
    }
    return entry.count >= this.maxFailures ? entry.resetAt - now : 0
  }

  recordFailure(username: string): void {
    const key = username.toLowerCase()
    const now = this.now()
    const entry = this.failures.get(key)
    if (!entry || entry.resetAt <= now)
      this.failures.set(key, { count: 1, resetAt: now + this.windowSeconds })
    else entry.count += 1
    if (this.failures.size > 10_000) this.failures.delete(this.failures.keys().next().value!)
  }

  recordSuccess(username: string): void {
    this.failures.delete(username.toLowerCase())
  }
}
