import { request } from 'node:http'
import { backends, type TestStore } from '@stateless-auth/sql/testing'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { bearer, type Harness, harness } from './helper.js'

/** A fetch for orders-api whose first reservation waits until `open()`: a request caught in flight. */
function gatedReservations() {
  let open!: () => void
  let arrived!: () => void
  const gate = new Promise<void>((resolve) => {
    open = resolve
  })
  const reached = new Promise<void>((resolve) => {
    arrived = resolve
  })
  let gated = false
  const fetchSpy: typeof fetch = async (input, init) => {
    if (!gated && String(input).endsWith('/reserve')) {
      gated = true
      arrived()
      await gate
    }
    return fetch(input, init)
  }
  return { fetch: fetchSpy, open, reached }
}

describe.each(backends())('Idempotency-Key on POST /orders (%s)', (backend) => {
  let store: TestStore
  let h: Harness
  let gated: ReturnType<typeof gatedReservations>

  beforeEach(async () => {
    store = await backend.createStore()
    gated = gatedReservations()
  })
  afterEach(async () => {
    gated.open()
    vi.useRealTimers()
    await h.close()
    await store.drop()
  })

  /** Starts orders-api (with its first reservation held back when `gate`); returns a token of alice, who orders. */
  const start = async (options: { gate?: boolean } = {}) => {
    h = await harness(store.url, {}, options.gate ? { fetch: gated.fetch } : {})
    return h.userToken('alice')
  }
  const post = (token: string, key: string | undefined, payload: object = { sku: 'gadget', quantity: 2 }) =>
    h.app.inject({
      method: 'POST',
      url: '/orders',
      headers: { ...bearer(token), ...(key === undefined ? {} : { 'idempotency-key': key }) },
      payload,
    })
  const ordersOf = async (token: string) =>
    (await h.app.inject({ url: '/orders', headers: bearer(token) })).json().orders as { id: string }[]

  it('answers a retry with the first order again: same status, body and Location, no second order', async () => {
    const alice = await start()
    const first = await post(alice, '"8e03978e-40d5-43e8-bc93-6894a57f9324"')
    expect(first.statusCode).toBe(201)
    const again = await post(alice, '"8e03978e-40d5-43e8-bc93-6894a57f9324"')
    expect(again.statusCode).toBe(201)
    expect(again.json()).toEqual(first.json())
    expect(again.headers.location).toBe(first.headers.location)
    expect(await ordersOf(alice)).toEqual([first.json()])
    expect(await h.stock('gadget')).toBe(8)
  })

  it('treats a bare key as the same key as its quoted form', async () => {
    const alice = await start()
    const quoted = await post(alice, '"order-2026-11-29.1"')
    const bare = await post(alice, 'order-2026-11-29.1')
    expect(bare.json()).toEqual(quoted.json())
    expect(await h.stock('gadget')).toBe(8)
  })

  it('answers 422 idempotency_key_reused for the same key with another body, and places nothing', async () => {
    const alice = await start()
    await post(alice, '"k-1"')
    const other = await post(alice, '"k-1"', { sku: 'gadget', quantity: 3 })
    expect(other.statusCode).toBe(422)
    expect(other.headers['content-type']).toMatch(/^application\/json/)
    expect(other.json()).toEqual({
      error: 'idempotency_key_reused',
      error_description: expect.stringContaining('different order'),
    })
    expect(await ordersOf(alice)).toHaveLength(1)
    expect(await h.stock('gadget')).toBe(8)
  })

  it('answers 409 idempotency_key_in_flight while the first request runs, then the first order', async () => {
    const alice = await start({ gate: true })
    const first = post(alice, '"k-1"')
    await gated.reached
    const concurrent = await post(alice, '"k-1"')
    expect(concurrent.statusCode).toBe(409)
    expect(concurrent.headers['retry-after']).toBe('1')
    expect(concurrent.json()).toEqual({
      error: 'idempotency_key_in_flight',
      error_description: expect.stringContaining('still being processed'),
    })
    gated.open()
    const placed = await first
    expect(placed.statusCode).toBe(201)
    expect((await post(alice, '"k-1"')).json()).toEqual(placed.json())
    expect(await h.stock('gadget')).toBe(8)
  })

  it('lets a retry take over a key whose request never finished (its lease ran out); the stale one places nothing', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
    const alice = await start({ gate: true })
    const stale = post(alice, '"k-1"')
    await gated.reached
    vi.setSystemTime(Date.now() + 61_000)
    const fresh = await h.userToken('alice')
    const retry = await post(fresh, '"k-1"')
    expect(retry.statusCode).toBe(201)
    gated.open()
    // The stale request reserves, cannot record its order under a key it no longer holds, and releases.
    expect((await stale).statusCode).toBe(503)
    expect(await ordersOf(fresh)).toEqual([retry.json()])
    expect((await post(fresh, '"k-1"')).json()).toEqual(retry.json())
    expect(await h.stock('gadget')).toBe(8)
  })

  it('scopes keys to the token subject: bob’s key never answers with alice’s order', async () => {
    const alice = await start()
    const bob = await h.userToken('bob')
    const hers = await post(alice, '"shared"')
    const his = await post(bob, '"shared"')
    expect(his.statusCode).toBe(201)
    expect(his.json().id).not.toBe(hers.json().id)
    expect(await ordersOf(bob)).toEqual([his.json()])
    expect(await h.stock('gadget')).toBe(6)
  })

  it('remembers a key across a restart (it is stored with the order)', async () => {
    const alice = await start()
    const first = await post(alice, '"k-1"')
    await h.restart()
    expect((await post(alice, '"k-1"')).json()).toEqual(first.json())
    expect(await h.stock('gadget')).toBe(8)
  })

  it('forgets a key after 24 hours: it then places a new order', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
    await start()
    const first = await post(await h.userToken('alice'), '"k-1"')
    vi.setSystemTime(Date.now() + 24 * 3600 * 1000 - 1000)
    const alice = await h.userToken('alice')
    expect((await post(alice, '"k-1"', { sku: 'gadget', quantity: 3 })).statusCode).toBe(422)
    vi.setSystemTime(Date.now() + 2000)
    const later = await post(alice, '"k-1"', { sku: 'gadget', quantity: 3 })
    expect(later.statusCode).toBe(201)
    expect(later.json().id).not.toBe(first.json().id)
    expect(await h.stock('gadget')).toBe(5)
  })

  it('frees the key when the order fails, so a retry runs again', async () => {
    const alice = await start()
    const short = await post(alice, '"k-1"', { sku: 'gadget', quantity: 11 })
    expect(short.statusCode).toBe(409)
    expect(short.json().error).toBe('insufficient_stock')
    await h.inventory.close()
    expect((await post(alice, '"k-2"')).statusCode).toBe(503)
    // Neither failure stuck to its key: each answers afresh (here: still unreachable, not "in flight").
    expect((await post(alice, '"k-2"')).json().error).toBe('temporarily_unavailable')
    expect((await post(alice, '"k-1"', { sku: 'gadget', quantity: 11 })).json().error).toBe(
      'temporarily_unavailable',
    )
  })

  it('without the header, a repeated request places a second order (as before)', async () => {
    const alice = await start()
    expect((await post(alice, undefined)).statusCode).toBe(201)
    expect((await post(alice, undefined)).statusCode).toBe(201)
    expect(await ordersOf(alice)).toHaveLength(2)
    expect(await h.stock('gadget')).toBe(6)
  })

  it.each([
    ['an empty string', '""'],
    ['an unterminated string', '"abc'],
    ['text after the string', '"abc"def'],
    ['parameters', '"abc";v=1'],
    ['an unknown escape', '"a\\nb"'],
    ['a bare key with a space', 'a b'],
    ['a bare key with a comma (two keys joined)', 'a,b'],
    ['256 characters', `"${'k'.repeat(256)}"`],
  ])('answers 400 invalid_request for %s, and reserves nothing', async (_name, value) => {
    const alice = await start()
    const res = await post(alice, value)
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual({
      error: 'invalid_request',
      error_description: expect.stringContaining('Idempotency-Key'),
    })
    expect(await h.stock('gadget')).toBe(10)
    expect(await ordersOf(alice)).toEqual([])
  })

  it('answers 400 when the header is sent twice (over real HTTP, where both lines arrive)', async () => {
    const alice = await start()
    const url = new URL('/orders', await h.app.listen({ port: 0, host: '127.0.0.1' }))
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(url, { method: 'POST' }, (res) => {
        let text = ''
        res.on('data', (chunk) => {
          text += chunk
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
      })
      req.on('error', reject)
      req.setHeader('authorization', `Bearer ${alice}`)
      req.setHeader('content-type', 'application/json')
      req.setHeader('idempotency-key', ['"a"', '"a"'])
      req.end(JSON.stringify({ sku: 'gadget', quantity: 1 }))
    })
    expect(status).toBe(400)
    expect(JSON.parse(body)).toEqual({
      error: 'invalid_request',
      error_description: 'Idempotency-Key must be sent once',
    })
    expect(await h.stock('gadget')).toBe(10)
  })

  it('accepts 255 characters and escaped quotes and backslashes', async () => {
    const alice = await start()
    expect((await post(alice, `"${'k'.repeat(255)}"`)).statusCode).toBe(201)
    const escaped = await post(alice, '"a\\"b\\\\c"')
    expect(escaped.statusCode).toBe(201)
    expect((await post(alice, '"a\\"b\\\\c"')).json()).toEqual(escaped.json())
  })

  it('is documented in the OpenAPI document, with the answers it adds', async () => {
    await start()
    const doc = (await h.app.inject({ url: '/docs/json' })).json()
    const operation = doc.paths['/orders'].post
    expect(operation.parameters).toContainEqual(
      expect.objectContaining({ in: 'header', name: 'idempotency-key', required: false }),
    )
    expect(Object.keys(operation.responses)).toEqual(
      expect.arrayContaining(['201', '400', '409', '422', '503']),
    )
  })
})
