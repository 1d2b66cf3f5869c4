import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { type Harness, harness, order } from './helper.js'

/** Polls until `check` holds or 5 s have passed; the release runs in the background after the 503. */
async function eventually(check: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return true
    await sleep(50)
  }
  return false
}

// Issue 15, scenario 5: with inventory-api slow, orders-api gave up on a reservation that inventory-api then made,
// and the stock stayed held without an order (found by `pnpm resilience`).
describe('a reservation whose answer never came back', () => {
  let h: Harness
  afterEach(() => h.close())

  /** Starts orders-api with its reservations sent through `reserve` (plain fetch by default); counts its releases. */
  async function startCountingReleases(reserve: typeof fetch = fetch) {
    let releases = 0
    h = await harness(
      undefined,
      {},
      {
        fetch: async (input, init) => {
          if (String(input).endsWith('/release')) releases++
          return String(input).endsWith('/reserve') ? reserve(input, init) : fetch(input, init)
        },
      },
    )
    return () => releases
  }

  it('answers 503 at once and releases the reservation that landed anyway', async () => {
    const releases = await startCountingReleases(async (input, init) => {
      // The reservation is made, but its answer is lost: what a timeout on a slow inventory-api looks like.
      await (await fetch(input, init)).arrayBuffer()
      throw new DOMException('The operation was aborted due to timeout', 'TimeoutError')
    })
    const res = await order(h, await h.userToken('alice'), { sku: 'gadget', quantity: 2 })
    expect(res.statusCode).toBe(503)
    expect(res.json().error).toBe('temporarily_unavailable')
    expect(await eventually(async () => (await h.stock('gadget')) === 10)).toBe(true)
    expect(releases()).toBe(1)
  })

  it('releases nothing when the connection was refused (the request never left)', async () => {
    const releases = await startCountingReleases()
    const token = await h.userToken('alice')
    await h.inventory.close()
    const res = await order(h, token, { sku: 'gadget', quantity: 2 })
    expect(res.statusCode).toBe(503)
    await sleep(200)
    expect(releases()).toBe(0)
  })
})
