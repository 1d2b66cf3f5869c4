import { setTimeout as sleep } from 'node:timers/promises'
import { apiTokens, refresh } from '../oauth.js'
import { startStack } from '../stack.js'
import { loops, percentile, Recorder } from '../traffic.js'
import { bearer, row, type ScenarioContext, seconds } from './common.js'

/**
 * Scenario 1: the APIs keep answering while the auth-server is killed (SIGKILL, no goodbye) and after it comes
 * back; every refresh token issued before the kill works exactly once afterwards.
 */
export async function authGone(ctx: ScenarioContext) {
  const { profile } = ctx
  const { auth, orders, inventory } = await startStack(ctx)
  const tokens = await apiTokens(auth.url, profile.families)
  const families = tokens.refreshTokens

  const result = row(
    '1. auth-server gone',
    `${profile.concurrency} clients: GET /orders and GET /inventory with valid tokens`,
    `SIGKILL auth-server for ${profile.outageSeconds} s, then start it`,
  )
  const rec = new Recorder()
  const load = loops(profile.concurrency, (worker) =>
    worker % 2 === 0
      ? rec.send('orders', `${orders!.url}/orders`, bearer(tokens.orders))
      : rec.send('inventory', `${inventory!.url}/inventory`, bearer(tokens.inventory)),
  )
  await sleep(2000)
  const killedAt = rec.now()
  await auth.kill('SIGKILL')
  await sleep(profile.outageSeconds * 1000)
  const restartedAt = rec.now()
  const readyMs = await auth.start()
  await sleep(2000)
  await load.stop()

  result.sent = rec.sent()
  result.failed = rec.failures()
  for (const [cause, n] of Object.entries(result.failed))
    result.violations.push(`${n} API requests failed (${cause})`)
  const latency = (from: number, to: number) =>
    rec.samples.filter((s) => s.start >= from && s.start < to).map((s) => s.end - s.start)
  const before = percentile(latency(0, killedAt), 99)
  const during = latency(killedAt, restartedAt)
  const slowest = Math.max(0, ...during)
  result.notes.push(
    `API latency p99 ${before.toFixed(1)} ms before the kill, ${percentile(during, 99).toFixed(1)} ms during the outage (slowest ${slowest.toFixed(0)} ms, ${during.length} requests)`,
  )
  // An API that waited on the auth-server would hang for its fetch timeout: far above its usual latency.
  if (slowest > Math.max(2000, 20 * before)) {
    result.violations.push(`an API request waited ${slowest.toFixed(0)} ms during the outage`)
  }

  let once = 0
  for (const token of families) {
    const first = await refresh(auth.url, token)
    const second = await refresh(auth.url, token)
    if (first.status === 200 && second.status === 400 && second.body.error === 'invalid_grant') once++
    else
      result.violations.push(
        `a refresh token from before the kill answered ${first.status} then ${second.status}`,
      )
  }
  result.lost = once === families.length ? 'none' : `${families.length - once} refresh-token families`
  result.notes.push(
    `${once}/${families.length} refresh tokens issued before the kill worked exactly once after it`,
  )
  result.recovery = `auth-server ready ${seconds(readyMs)} after start; APIs never down`
  ctx.log(`auth-gone: ${result.sent} requests, ${Object.keys(result.failed).length} failure causes`)
  return result
}
