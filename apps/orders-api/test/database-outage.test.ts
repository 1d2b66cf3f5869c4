import { expectDatabaseUnavailable, expectNotReady } from '@stateless-auth/resource-server/testing'
import {
  backends,
  type DatabaseRelay,
  postgresSkipReason,
  relayDatabase,
  type TestStore,
} from '@stateless-auth/sql/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { bearer, type Harness, harness, order } from './helper.js'

// Issue 15, scenario 2: with its PostgreSQL gone, orders-api answered 500.
const postgres = backends().find((b) => b.name === 'postgres')
describe.skipIf(!postgres)(`PostgreSQL going away under orders-api ${postgresSkipReason() ?? ''}`, () => {
  let store: TestStore
  let relay: DatabaseRelay
  let h: Harness
  let alice: string
  /** Runs as the reservation leaves for inventory-api: the database goes away in the middle of an order. */
  let onReserve: (() => Promise<void>) | undefined

  beforeEach(async () => {
    store = await postgres!.createStore()
    relay = await relayDatabase(store.url)
    onReserve = undefined
    const fetchSpy: typeof fetch = async (input, init) => {
      if (String(input).endsWith('/reserve')) await onReserve?.()
      return fetch(input, init)
    }
    h = await harness(relay.url, {}, { fetch: fetchSpy })
    alice = await h.userToken('alice')
  })
  afterEach(async () => {
    await h.close()
    await relay.close()
    await store.drop()
  })

  const list = () => h.app.inject({ url: '/orders', headers: bearer(alice) })
  const withKey = (key: string) =>
    h.app.inject({
      method: 'POST',
      url: '/orders',
      headers: { ...bearer(alice), 'idempotency-key': `"${key}"` },
      payload: { sku: 'gadget', quantity: 2 },
    })

  it('answers 503 temporarily_unavailable with Retry-After on every database route, and /ready is not ready', async () => {
    expect((await order(h, alice, { sku: 'gadget', quantity: 2 })).statusCode).toBe(201)
    await relay.cut()
    expectDatabaseUnavailable(await list())
    // The Idempotency-Key is claimed in the database before anything is reserved: nothing to compensate.
    expectDatabaseUnavailable(await withKey('k1'))
    expect(await h.stock('gadget')).toBe(8)
    await expectNotReady(h.app)
    // Bearer failures do not reach the database and keep their RFC 6750 answer.
    expect((await h.app.inject({ url: '/orders' })).statusCode).toBe(401)
  })

  it('releases the stock it reserved when the database goes away before the order is recorded', async () => {
    onReserve = () => relay.cut()
    const res = await order(h, alice, { sku: 'gadget', quantity: 2 })
    expect(res.statusCode).toBe(503)
    expect(res.headers['retry-after']).toMatch(/^[0-9]+$/)
    expect(res.json()).toMatchObject({ error: 'temporarily_unavailable' })
    expect(await h.stock('gadget')).toBe(10)
    onReserve = undefined
    await relay.restore()
    expect((await list()).json()).toEqual({ orders: [] })
  })

  it('serves again once PostgreSQL is back, without a restart, and lost no order it had accepted', async () => {
    const first = await order(h, alice, { sku: 'gadget', quantity: 2 })
    expect(first.statusCode).toBe(201)
    await relay.cut()
    expectDatabaseUnavailable(await list())
    expectDatabaseUnavailable(await withKey('k1'))
    await relay.restore()
    expect((await h.app.inject({ url: '/ready' })).statusCode).toBe(200)
    const retry = await withKey('k1')
    expect(retry.statusCode).toBe(201)
    expect((await withKey('k1')).json()).toEqual(retry.json())
    expect((await list()).json()).toEqual({ orders: [retry.json(), first.json()] })
    expect(await h.stock('gadget')).toBe(6)
  })
})
