import { setTimeout as sleep } from 'node:timers/promises'
import { orphanReservations } from '../invariants.js'
import { apiTokens } from '../oauth.js'
import { FaultProxy, type ProxyMode } from '../proxy.js'
import { inspect, startStack } from '../stack.js'
import { loops, percentile, Recorder } from '../traffic.js'
import { bearer, row, type ScenarioContext, seconds, until } from './common.js'

/** orders-api's INVENTORY_TIMEOUT_MS in this scenario; the slow inventory answers after twice as long. */
const INVENTORY_TIMEOUT_MS = 1000
/** The slow JWKS answers after this long: over 10× its usual time, under the APIs' fetch timeout (1 s here). */
const SLOW_JWKS_MS = 500

/**
 * Scenario 5: the APIs' JWKS endpoint hangs, answers garbage, then answers slowly while the APIs are under load
 * with tokens whose keys they already hold: every request is served. Then inventory-api is slow, then down, while
 * orders are placed: orders-api answers 503 within its timeout, and inventory-api keeps no reservation without an
 * order (checked in both databases once the late requests have landed).
 */
export async function slowDeps(ctx: ScenarioContext) {
  const { profile } = ctx
  const jwks = await FaultProxy.start()
  const toInventory = await FaultProxy.start()
  ctx.defer(() => jwks.close())
  ctx.defer(() => toInventory.close())
  // A background refresh every second, each fetch given up after a second, and no cache of verified tokens (a
  // cached token never looks at the keys, so would never trigger a refresh): every fault is met several times.
  const apiEnv = {
    TOKEN_CACHE: 'false',
    JWKS_URI: `${jwks.url}/jwks`,
    JWKS_REFRESH_INTERVAL_MS: '1000',
    JWKS_FETCH_TIMEOUT_MS: '1000',
  }
  const { auth, orders, inventory, databases } = await startStack(ctx, {
    onAuthReady: (auth) => {
      jwks.target = auth.url
    },
    // orders-api reaches inventory-api through the fault proxy: that is the URL its DPoP proofs name (`htu`).
    inventory: { ...apiEnv, PUBLIC_URL: toInventory.url },
    orders: { ...apiEnv, INVENTORY_TIMEOUT_MS: String(INVENTORY_TIMEOUT_MS) },
    inventoryUrlFor: async (inventory) => {
      toInventory.target = inventory.url
      return toInventory.url
    },
  })
  const tokens = await apiTokens(auth.url)
  const result = row(
    '5. slow and broken dependencies',
    `${profile.concurrency} clients: GET /orders and GET /inventory; then POST /orders`,
    `JWKS hangs, answers garbage, answers after ${SLOW_JWKS_MS} ms (${profile.phaseSeconds} s each); inventory-api slow (${2 * INVENTORY_TIMEOUT_MS} ms), then killed`,
  )
  const rec = new Recorder()

  // 5a: the JWKS misbehaves while the APIs serve tokens signed by keys they hold.
  for (const mode of ['hang', 'garbage', 'slow'] satisfies ProxyMode[]) {
    jwks.mode = mode
    jwks.delayMs = SLOW_JWKS_MS
    const load = loops(profile.concurrency, (worker) =>
      worker % 2 === 0
        ? rec.send(`jwks ${mode}`, `${orders!.url}/orders`, bearer(tokens.orders))
        : rec.send(`jwks ${mode}`, `${inventory!.url}/inventory`, bearer(tokens.inventory)),
    )
    await sleep(profile.phaseSeconds * 1000)
    await load.stop()
    if (jwks.requests[mode] === 0)
      result.violations.push(`the APIs never fetched the JWKS while it was ${mode}`)
  }
  jwks.mode = 'pass'
  const jwksFailures = rec.failures()
  for (const [cause, n] of Object.entries(jwksFailures))
    result.violations.push(`${n} API requests failed (${cause}) with a broken JWKS`)
  result.notes.push(
    `JWKS fetches met per fault: hang ${jwks.requests.hang}, garbage ${jwks.requests.garbage}, slow ${jwks.requests.slow}; ${rec.sent()} API requests, all served`,
  )

  // 5b: inventory-api slow, then down, while orders are placed.
  const order = (label: string, expected: (status: number) => boolean) =>
    rec.send(
      label,
      `${orders!.url}/orders`,
      {
        method: 'POST',
        headers: { ...bearer(tokens.orders).headers, 'content-type': 'application/json' },
        body: JSON.stringify({ sku: 'widget-blue', quantity: 1 }),
      },
      expected,
    )
  const placeOrders = async (label: string, count: number, expected: (status: number) => boolean) => {
    let left = count
    const load = loops(Math.min(count, profile.concurrency), async () => {
      if (left-- > 0) await order(label, expected)
      else await sleep(10)
    })
    await until(() => left <= 0, 120_000)
    await load.stop()
  }
  await placeOrders('inventory up', 10, (s) => s === 201)
  toInventory.mode = 'slow'
  toInventory.delayMs = 2 * INVENTORY_TIMEOUT_MS
  await placeOrders('inventory slow', 2 * profile.concurrency, (s) => s === 503)
  toInventory.mode = 'pass'
  await inventory!.kill('SIGKILL')
  await placeOrders('inventory down', 2 * profile.concurrency, (s) => s === 503)
  const restartedAt = Date.now()
  await inventory!.start()
  const back = await until(async () => (await order('inventory back', () => true))?.status === 201, 30_000)
  const recovered = Date.now() - restartedAt
  if (!back) result.violations.push('no order was placed within 30 s of inventory-api starting again')
  const upFailures = rec.samples.filter((s) => s.label === 'inventory up' && s.cause !== 'ok')
  if (upFailures.length > 0)
    result.violations.push(
      `inventory up: ${upFailures.length} orders not answered 201 (${[...new Set(upFailures.map((s) => s.cause))].join(', ')})`,
    )
  // The slow proxy delivers late reservations (and any compensation) after the callers gave up: let them land.
  await sleep(toInventory.delayMs * 2 + 1000)

  for (const label of ['inventory slow', 'inventory down']) {
    const answers = rec.samples.filter((s) => s.label === label)
    const wrong = answers.filter((s) => s.cause !== 'ok')
    if (wrong.length > 0)
      result.violations.push(
        `${label}: ${wrong.length} orders not answered 503 (${[...new Set(wrong.map((s) => s.cause))].join(', ')})`,
      )
    const slowest = Math.max(0, ...answers.map((s) => s.end - s.start))
    result.notes.push(
      `${label}: ${answers.length} orders answered 503, p99 ${percentile(
        answers.map((s) => s.end - s.start),
        99,
      ).toFixed(0)} ms, slowest ${slowest.toFixed(0)} ms (timeout ${INVENTORY_TIMEOUT_MS} ms)`,
    )
    if (slowest > INVENTORY_TIMEOUT_MS + 2000)
      result.violations.push(`${label}: an order took ${slowest.toFixed(0)} ms to be refused`)
  }
  const orphans = await orphanReservations(
    await inspect(ctx, databases['inventory-api']!),
    await inspect(ctx, databases['orders-api']!),
  )
  if (orphans.length > 0)
    result.violations.push(`${orphans.length} reservations held at inventory-api without an order`)
  result.lost =
    orphans.length === 0 ? 'none' : `${orphans.length} units of stock held by reservations without an order`
  result.sent = rec.sent()
  result.failed = rec.failures()
  const expected = rec.sent((s) => s.label === 'inventory slow' || s.label === 'inventory down')
  result.notes.push(
    `${expected} orders refused 503 as expected while inventory-api was slow or down (not counted as failed)`,
  )
  result.recovery = `orders placed again ${seconds(recovered)} after inventory-api was started`
  return result
}
