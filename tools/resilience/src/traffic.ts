/** One request as the client saw it: when it was sent and answered, and what came back. */
export interface Sample {
  label: string
  /** ms since the recorder's start. */
  start: number
  end: number
  /** HTTP status, or 0 when no answer came (see `cause`). */
  status: number
  /** `ok`, or why it failed: `HTTP 503`, `ECONNREFUSED`, `ECONNRESET`, `timeout`, … */
  cause: string
  headers?: Headers
}

/** Why a fetch failed without an answer, from undici's error chain. */
export function causeOf(error: unknown): string {
  const err = error as {
    name?: string
    code?: string
    cause?: { code?: string; name?: string; message?: string }
  }
  if (err.name === 'TimeoutError' || err.cause?.name === 'TimeoutError') return 'timeout'
  const code = err.cause?.code ?? err.code
  if (code === 'UND_ERR_SOCKET') return 'ECONNRESET'
  return code ?? err.cause?.message ?? (error as Error).message ?? 'error'
}

/** Every request of a scenario, with the counts a table row needs. */
export class Recorder {
  readonly samples: Sample[] = []
  readonly origin = Date.now()

  now(): number {
    return Date.now() - this.origin
  }

  /** The first failed answers in full enough to act on: request, status or cause, and the start of the body. */
  readonly examples: string[] = []

  /**
   * Sends one request and records it; `expected` says which answers are a success for this request (default
   * 2xx): `true`, or `false` (cause `HTTP <status>`), or the cause as a string. Resolves with the response (body
   * read as text) or undefined when none came.
   */
  async send(
    label: string,
    url: string,
    init: RequestInit = {},
    expected: (status: number, body: string, headers: Headers) => boolean | string = (s) =>
      s >= 200 && s < 300,
    timeoutMs = 10_000,
  ): Promise<{ status: number; body: string; headers: Headers } | undefined> {
    const start = this.now()
    const request = `${label}: ${init.method ?? 'GET'} ${url}`
    try {
      const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) })
      const body = await res.text()
      const verdict = expected(res.status, body, res.headers)
      const cause = verdict === true ? 'ok' : verdict === false ? `HTTP ${res.status}` : verdict
      this.samples.push({ label, start, end: this.now(), status: res.status, cause, headers: res.headers })
      if (cause !== 'ok') this.#example(`${request} → ${res.status} (${cause}) ${body.slice(0, 300)}`)
      return { status: res.status, body, headers: res.headers }
    } catch (error) {
      const cause = causeOf(error)
      this.samples.push({ label, start, end: this.now(), status: 0, cause })
      this.#example(`${request} → no answer (${cause})`)
      return undefined
    }
  }

  /** Records a step that failed without a request of its own to blame (a redirect loop, a missing header). */
  failed(label: string, cause: string): void {
    const at = this.now()
    this.samples.push({ label, start: at, end: at, status: 0, cause })
    this.#example(`${label}: ${cause}`)
  }

  #example(line: string): void {
    if (this.examples.length < 10) this.examples.push(line)
  }

  /** Records a multi-request step (a sign-in) as one sample: ok when `fn` resolves, its error's cause if not. */
  async time<T>(label: string, fn: () => Promise<T>): Promise<T | undefined> {
    const start = this.now()
    try {
      const value = await fn()
      this.samples.push({ label, start, end: this.now(), status: 200, cause: 'ok' })
      return value
    } catch (error) {
      this.samples.push({ label, start, end: this.now(), status: 0, cause: causeOf(error) })
      return undefined
    }
  }

  sent(filter: (s: Sample) => boolean = () => true): number {
    return this.samples.filter(filter).length
  }

  /** Failures by cause, e.g. `{ 'HTTP 503': 3, ECONNREFUSED: 12 }`. */
  failures(filter: (s: Sample) => boolean = () => true): Record<string, number> {
    const counts: Record<string, number> = {}
    for (const s of this.samples)
      if (s.cause !== 'ok' && filter(s)) counts[s.cause] = (counts[s.cause] ?? 0) + 1
    return counts
  }
}

/**
 * Runs `concurrency` loops of `step` until `stop()` is called; each loop awaits its step, so there are at most
 * `concurrency` requests in flight. Resolves once every loop has finished its last step.
 */
export function loops(concurrency: number, step: (worker: number) => Promise<unknown>) {
  let running = true
  const done = Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (running) {
        await step(worker)
      }
    }),
  )
  return {
    async stop() {
      running = false
      await done
    },
  }
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[index]!
}

/** Least-squares slope of y over x (per unit of x); 0 for fewer than two points. */
export function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length
  if (n < 2) return 0
  const mx = points.reduce((a, [x]) => a + x, 0) / n
  const my = points.reduce((a, [, y]) => a + y, 0) / n
  let num = 0
  let den = 0
  for (const [x, y] of points) {
    num += (x - mx) * (y - my)
    den += (x - mx) ** 2
  }
  return den === 0 ? 0 : num / den
}
