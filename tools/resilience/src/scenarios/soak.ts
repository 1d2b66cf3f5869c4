import { setTimeout as sleep } from 'node:timers/promises'
import { checkFamilies, readAuthState } from '../invariants.js'
import { inspect, startStack } from '../stack.js'
import { loops, percentile, Recorder, type Sample, slope } from '../traffic.js'
import { WebClient } from '../web-client.js'
import { row, type ScenarioContext } from './common.js'

/** More open descriptors at the end than at the start, per process, that count as a leak. */
const FD_GROWTH_LIMIT = 100
/** Orders placed through the web in one run at most: inventory-api seeds 100 of the one SKU the web orders. */
const ORDER_BUDGET = 60
/**
 * Access tokens live 30 s (the auth-server's minimum is 10) and the web app refreshes one 20 s before it
 * expires: every session refreshes each API's token every 10 s or so, real refresh-token rotations.
 */
const ACCESS_TOKEN_TTL = 30
const REFRESH_MARGIN = 20
const DEMO_PASSWORD = 'demo-password'
/**
 * Every process runs with a bounded V8 old space. Unbounded, on a machine with gigabytes free, V8 grows its heap
 * lazily and a 10-minute RSS slope mostly measures that (the web app: 107 → 237 MiB, 9.5 MiB/min, with no failure;
 * capped at 64 MiB: 101 → 134 MiB, 0.5 MiB/min, also no failure). Bounded, RSS settles when nothing leaks, and a
 * JS-heap leak ends in an out-of-memory crash, which the failed requests show.
 */
const NODE_OPTIONS = '--max-old-space-size=96'

/** What a signed-in client does at each of its steps, by the step's position in a cycle of 20. */
export function stepOf(
  step: number,
  ordersLeft: boolean,
): 'sign-out' | 'reload' | 'order' | 'orders' | 'inventory' {
  const at = step % 20
  if (at === 19) return 'sign-out'
  if (at === 9) return 'reload'
  if (at === 4 && ordersLeft) return 'order'
  return at % 2 === 0 ? 'orders' : 'inventory'
}

/**
 * Scenario 7: browsers using the web app (apps/web) for a while: sign-ins through it, API calls through its JSON
 * routes (it calls orders-api and inventory-api with the session's DPoP-bound tokens and refreshes them itself),
 * orders, page reloads, sign-outs. No request may fail. Resident memory and open file descriptors of every process
 * (the web app included) are sampled from /proc and their slopes reported, with the p99 latency of the first and
 * the last third of the run; the refresh rotations the web made are counted in the auth-server's database, which
 * must show no family with two live tokens or none and no grant revoked other than by a sign-out.
 */
export async function soak(ctx: ScenarioContext) {
  const { profile } = ctx
  const stack = await startStack(ctx, {
    auth: { ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL), NODE_OPTIONS },
    orders: { NODE_OPTIONS },
    inventory: { NODE_OPTIONS },
    web: { REFRESH_MARGIN: String(REFRESH_MARGIN), NODE_OPTIONS },
  })
  const web = stack.web!
  const result = row(
    '7. soak',
    `${profile.concurrency} browsers on the web app for ${profile.soakSeconds} s: a sign-in, then of every 20 steps 17 API calls, 1 order (${ORDER_BUDGET} in all), 1 page reload, 1 sign-out; tokens live ${ACCESS_TOKEN_TTL} s, the web refreshes them ${REFRESH_MARGIN} s early; ${NODE_OPTIONS} for every process`,
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

  const clients = Array.from(
    { length: profile.concurrency },
    (_, i) => new WebClient(rec, web.url, { username: i % 2 ? 'bob' : 'alice', password: DEMO_PASSWORD }),
  )
  const steps = clients.map(() => 0)
  const done = { signIns: 0, signOuts: 0, orders: 0, signOutsStarted: 0 }
  let ordersLeft = ORDER_BUDGET
  const load = loops(profile.concurrency, async (worker) => {
    const client = clients[worker]!
    let ok: boolean
    if (!client.signedIn) {
      ok = await client.signIn()
      if (ok) done.signIns++
    } else {
      const step = stepOf(steps[worker]!, ordersLeft > 0)
      steps[worker]!++
      if (step === 'sign-out') {
        done.signOutsStarted++
        ok = await client.signOut()
        if (ok) done.signOuts++
      } else if (step === 'reload') ok = await client.reload()
      else if (step === 'order') {
        ordersLeft--
        ok = await client.placeOrder()
        if (ok) done.orders++
      } else ok = await client.call(step)
    }
    if (!ok) {
      // Recorded with its cause; start this browser afresh rather than let one failure repeat.
      client.reset()
      await sleep(250)
    }
  })
  await sleep(profile.soakSeconds * 1000)
  await load.stop()
  sampling = false
  await sampler

  result.sent = rec.sent()
  result.failed = rec.failures()
  for (const [what, n] of Object.entries(failuresByRequest(rec.samples)))
    result.violations.push(`${n} × ${what}`)
  for (const example of rec.examples) ctx.log(`soak failure: ${example}`)

  const third = (profile.soakSeconds * 1000) / 3
  const p99 = (pick: (s: Sample) => boolean, from: number, to: number) =>
    percentile(
      rec.samples.filter((s) => pick(s) && s.start >= from && s.start < to).map((s) => s.end - s.start),
      99,
    ).toFixed(1)
  const thirds = (pick: (s: Sample) => boolean) =>
    `${p99(pick, 0, third)} ms in the first third, ${p99(pick, 2 * third, Number.POSITIVE_INFINITY)} ms in the last`
  const failedCount = Object.values(result.failed).reduce((a, b) => a + b, 0)
  result.notes.push(
    `p99 latency of the API calls through the web: ${thirds((s) => s.label.startsWith('api:'))}; of every request: ${thirds(() => true)}; error rate ${((100 * failedCount) / Math.max(1, result.sent)).toFixed(3)} %`,
  )

  const authDb = await inspect(ctx, stack.databases['auth-server']!)
  const state = await readAuthState(authDb)
  const rotations = state.refresh.filter((r) => r.rotated_at !== null).length
  const apiCalls = rec.sent((s) => s.label.startsWith('api: POST /api/call/'))
  result.notes.push(
    `${done.signIns} sign-ins and ${done.signOuts} sign-outs through the web, ${apiCalls} API calls, ${done.orders} orders, ${rec.sent((s) => s.label === 'page: GET /')} page reloads; the web rotated refresh tokens ${rotations} times (auth-server database) and retried ${clients.reduce((a, c) => a + c.retries, 0)} calls after an invalid_token`,
  )
  result.violations.push(...checkFamilies(state.refresh, state.grants.revoked))
  // A sign-out revokes its grant; any other revoked grant means the auth-server saw a refresh token reused.
  if (state.grants.revoked.size > done.signOutsStarted)
    result.violations.push(
      `${state.grants.revoked.size} grants revoked for ${done.signOutsStarted} sign-outs (refresh-token reuse?)`,
    )
  const webDb = await inspect(ctx, stack.databases.web!)
  const sessions = Number(
    (await webDb.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM web_sessions'))[0]?.n,
  )
  result.notes.push(
    `${state.grants.revoked.size} grants revoked at the auth-server for ${done.signOutsStarted} sign-outs begun; ${sessions} sessions left in the web's database for ${profile.concurrency} browsers`,
  )
  if (sessions > profile.concurrency)
    result.violations.push(`the web kept ${sessions} sessions for ${profile.concurrency} browsers`)

  for (const app of stack.all) {
    if (app.errorLines === 0) continue
    result.violations.push(`${app.name} logged ${app.errorLines} errors`)
    ctx.log(`${app.name} logged errors:\n${app.tail()}`)
  }
  result.notes.push(...usageNotes(usage, profile.soakSeconds, result.violations))
  result.lost = 'none'
  result.recovery = '—'
  return result
}

/** Failed requests by label and cause, e.g. `{ 'sign-in: GET /login (HTTP 500)': 2 }`. */
export function failuresByRequest(samples: readonly Sample[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const s of samples) {
    if (s.cause === 'ok') continue
    const key = `${s.label} (${s.cause})`
    counts[key] = (counts[key] ?? 0) + 1
  }
  return counts
}

/** Each process's RSS and descriptor counts, first → last and slope; an fd growth over the limit is a violation. */
function usageNotes(
  usage: Map<string, Array<{ t: number; rss: number; fds: number }>>,
  seconds: number,
  violations: string[],
): string[] {
  const notes: string[] = []
  for (const [name, points] of usage) {
    // Slopes over the run after its first fifth (start-up allocation and JIT warm-up are not a leak).
    const steady = points.filter((p) => p.t >= (seconds * 1000) / 5)
    const perMinute = (pick: (p: { rss: number; fds: number }) => number) =>
      slope(steady.map((p) => [p.t / 60_000, pick(p)] as const))
    const first = points[0]!
    const last = points.at(-1)!
    notes.push(
      `${name}: RSS ${(first.rss / 2 ** 20).toFixed(0)} → ${(last.rss / 2 ** 20).toFixed(0)} MiB (slope ${(perMinute((p) => p.rss) / 2 ** 20).toFixed(2)} MiB/min), fds ${first.fds} → ${last.fds} (slope ${perMinute((p) => p.fds).toFixed(2)}/min)`,
    )
    if (last.fds - first.fds > FD_GROWTH_LIMIT)
      violations.push(`${name} grew by ${last.fds - first.fds} open descriptors`)
  }
  return notes
}
