import autocannon from 'autocannon'
import { BenchError } from './errors.js'
import { percentileSorted, Samples } from './stats.js'

export type LoadRequest = autocannon.Request

export interface LoadSpec {
  /** Base URL of the server under load (always http://127.0.0.1:<port>). */
  url: string
  connections: number
  /** Seconds of load; ignored when `amount` is given. */
  duration: number
  /** Stop after this many responses instead of after `duration`. */
  amount?: number
  /** Cycled through by every connection; fixed requests are pre-serialized by autocannon. */
  requests: LoadRequest[]
  /** The statuses that count as answered; any other aborts the run. Default: 2xx. */
  expect?: (status: number) => boolean
}

export interface LoadResult {
  /** 2xx responses per second of wall time. */
  rps: number
  /** Latency percentiles of the 2xx responses, in milliseconds. */
  p50: number
  p99: number
  ok: number
  seconds: number
}

/**
 * One load run with autocannon at fixed concurrency. Latencies are taken from the `response` event (float ms)
 * rather than autocannon's histogram, which rounds to whole milliseconds. Any failed response or socket error
 * aborts the run: a number measured on failures is not a number to publish.
 */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const samples = new Samples()
  let failures = 0
  let firstFailure: string | undefined
  const started = process.hrtime.bigint()
  let instance: autocannon.Instance | undefined
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        pipelining: 1,
        timeout: 10,
        // autocannon only notices the end of a run on its sampling tick (1 s by default): tick every 50 ms so a
        // run lasts what it was asked to, and the timer below ends it exactly.
        sampleInt: 50,
        requests: spec.requests,
        ...(spec.amount === undefined ? { duration: Math.ceil(spec.duration) + 1 } : { amount: spec.amount }),
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    )
  })
  const tracker = instance as unknown as NodeJS.EventEmitter & { stop(): void }
  const timer = spec.amount === undefined ? setTimeout(() => tracker.stop(), spec.duration * 1000) : undefined
  // autocannon emits (client, statusCode, bytes, responseTime); its typings omit the client.
  tracker.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (spec.expect ? spec.expect(status) : status >= 200 && status < 300) samples.push(ms)
    else {
      failures++
      firstFailure ??= `HTTP ${status}`
    }
  })
  tracker.on('reqError', (err: Error) => {
    failures++
    firstFailure ??= err.message
  })
  const result = await done.finally(() => clearTimeout(timer))
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  if (failures > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new BenchError(
      'BENCH_ERR_LOAD',
      `${spec.url}: ${failures + result.errors} failed of ${result.requests.total} (first: ${firstFailure ?? 'socket error'})`,
    )
  }
  if (samples.length === 0) throw new BenchError('BENCH_ERR_LOAD', `${spec.url}: no response at all`)
  const sorted = samples.sorted()
  return {
    rps: samples.length / seconds,
    p50: percentileSorted(sorted, 50),
    p99: percentileSorted(sorted, 99),
    ok: samples.length,
    seconds,
  }
}

/** Requests that differ only in their bearer token: one per token, cycled through by each connection. */
export function bearerRequests(path: string, tokens: readonly string[]): LoadRequest[] {
  return tokens.map((token) => ({ method: 'GET', path, headers: { authorization: `Bearer ${token}` } }))
}

/** Runs a load and measures the CPU time the given server processes spent per answered request (µs). */
export async function runLoadWithCpu(
  spec: LoadSpec,
  servers: ReadonlyArray<{ ask<T>(question: string): Promise<T> }>,
): Promise<LoadResult & { cpu: number }> {
  const cpuTotal = async () =>
    (await Promise.all(servers.map((s) => s.ask<number>('cpu')))).reduce((a, b) => a + b, 0)
  const before = await cpuTotal()
  const result = await runLoad(spec)
  return { ...result, cpu: ((await cpuTotal()) - before) / result.ok }
}
