import { setTimeout as sleep } from 'node:timers/promises'
import { apiTokens, CookieJar, refresh, signIn } from '../oauth.js'
import { ORDERS_AUDIENCE, startStack } from '../stack.js'
import { loops, percentile, Recorder, slope } from '../traffic.js'
import { bearer, row, type ScenarioContext } from './common.js'

/** More open descriptors at the end than at the start, per process, that count as a leak. */
const FD_GROWTH_LIMIT = 100

/**
 * Scenario 7: mixed traffic (sign-ins, refresh rotations, API calls) for a while; no request may fail. Resident
 * memory and open file descriptors of every process are sampled from /proc and their slopes reported, with the
 * p99 latency of the first and the last third of the run.
 */
export async function soak(ctx: ScenarioContext) {
  const { profile } = ctx
  const stack = await startStack(ctx)
  const { auth, orders, inventory } = stack
  const tokens = await apiTokens(auth.url, profile.concurrency)
  const families = tokens.refreshTokens
  const result = row(
    '7. soak',
    `${profile.concurrency} clients for ${profile.soakSeconds} s: 1 in 10 a sign-in, 2 refresh rotations, 7 API calls`,
    'none (time)',
  )
  const rec = new Recorder()
  const usage = new Map<string, Array<{ t: number; rss: number; fds: number }>>()
  const every = Math.max(1000, (profile.soakSeconds * 1000) / 120)
  let sampling = true
  const sampler = (async () => {
    while (sampling) {
      for (const app of stack.all) {
        const u = app.usage()
        if (u) usage.set(app.name, [...(usage.get(app.name) ?? []), { t: rec.now(), ...u }])
      }
      await sleep(every)
    }
  })()
  let iteration = 0
  const load = loops(profile.concurrency, async (worker) => {
    const op = iteration++ % 10
    if (op === 0) await rec.time('sign-in', () => signIn(auth.url, new CookieJar(), ORDERS_AUDIENCE))
    else if (op <= 2) {
      const answer = await rec.time('refresh', async () => {
        const res = await refresh(auth.url, families[worker]!)
        if (res.status !== 200) throw new Error(`refresh answered ${res.status} ${JSON.stringify(res.body)}`)
        return res.body.refresh_token as string
      })
      if (answer) families[worker] = answer
    } else if (op % 2 === 0) await rec.send('api', `${orders!.url}/orders`, bearer(tokens.orders))
    else await rec.send('api', `${inventory!.url}/inventory`, bearer(tokens.inventory))
  })
  await sleep(profile.soakSeconds * 1000)
  await load.stop()
  sampling = false
  await sampler

  result.sent = rec.sent()
  result.failed = rec.failures()
  for (const [cause, n] of Object.entries(result.failed))
    result.violations.push(`${n} requests failed (${cause})`)
  const third = (profile.soakSeconds * 1000) / 3
  const p99 = (from: number, to: number) =>
    percentile(
      rec.samples.filter((s) => s.start >= from && s.start < to).map((s) => s.end - s.start),
      99,
    )
  result.notes.push(
    `p99 latency of every request: ${p99(0, third).toFixed(1)} ms in the first third, ${p99(2 * third, Number.POSITIVE_INFINITY).toFixed(1)} ms in the last; error rate ${((100 * Object.values(result.failed).reduce((a, b) => a + b, 0)) / Math.max(1, result.sent)).toFixed(3)} %`,
  )
  const slopes: string[] = []
  for (const [name, points] of usage) {
    // Slopes over the run after its first fifth (start-up allocation and JIT warm-up are not a leak).
    const steady = points.filter((p) => p.t >= (profile.soakSeconds * 1000) / 5)
    const perMinute = (pick: (p: { rss: number; fds: number }) => number) =>
      slope(steady.map((p) => [p.t / 60_000, pick(p)] as const))
    const first = points[0]!
    const last = points.at(-1)!
    slopes.push(
      `${name}: RSS ${(first.rss / 2 ** 20).toFixed(0)} → ${(last.rss / 2 ** 20).toFixed(0)} MiB (slope ${(perMinute((p) => p.rss) / 2 ** 20).toFixed(2)} MiB/min), fds ${first.fds} → ${last.fds} (slope ${perMinute((p) => p.fds).toFixed(2)}/min)`,
    )
    if (last.fds - first.fds > FD_GROWTH_LIMIT)
      result.violations.push(`${name} grew by ${last.fds - first.fds} open descriptors`)
  }
  result.notes.push(...slopes)
  result.lost = 'none'
  result.recovery = '—'
  return result
}
