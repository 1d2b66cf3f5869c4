import { type Database, openDatabase } from '@stateless-auth/sql'
import { backends, breakInserts, type TestStore } from '@stateless-auth/sql/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { bearer, type Harness, harness } from './helper.js'

describe.each(backends())('an order that cannot be recorded after its stock was reserved (%s)', (backend) => {
  let store: TestStore
  let h: Harness
  let db: Database
  let releases: number
  let failReleases: boolean

  beforeEach(async () => {
    store = await backend.createStore()
    releases = 0
    failReleases = false
    const fetchSpy: typeof fetch = async (input, init) => {
      if (String(input).endsWith('/release')) {
        releases++
        if (failReleases) throw new TypeError('fetch failed')
      }
      return fetch(input, init)
    }
    h = await harness(store.url, {}, { fetch: fetchSpy })
    db = await openDatabase(store.url)
  })
  afterEach(async () => {
    await db.close()
    await h.close()
    await store.drop()
  })

  const post = (token: string, headers: Record<string, string> = {}) =>
    h.app.inject({
      method: 'POST',
      url: '/orders',
      headers: { ...bearer(token), ...headers },
      payload: { sku: 'gadget', quantity: 2 },
    })
  const ordersOf = async (token: string) =>
    (await h.app.inject({ url: '/orders', headers: bearer(token) })).json().orders as unknown[]

  it('releases the reservation and answers 503 temporarily_unavailable with Retry-After', async () => {
    const alice = await h.userToken('alice')
    const repair = await breakInserts(db, 'orders')
    const res = await post(alice)
    expect(res.statusCode).toBe(503)
    expect(res.headers['retry-after']).toBe('5')
    expect(res.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description:
        'The order could not be recorded and was not placed; its stock reservation was released',
    })
    expect(releases).toBe(1)
    expect(await h.stock('gadget')).toBe(10)
    await repair()
    expect(await ordersOf(alice)).toEqual([])
  })

  it('with an Idempotency-Key, the retry after the repair places the order once', async () => {
    const alice = await h.userToken('alice')
    const key = { 'idempotency-key': '"retry-me"' }
    const repair = await breakInserts(db, 'orders')
    expect((await post(alice, key)).statusCode).toBe(503)
    await repair()
    const retry = await post(alice, key)
    expect(retry.statusCode).toBe(201)
    expect((await post(alice, key)).json()).toEqual(retry.json())
    expect(await ordersOf(alice)).toEqual([retry.json()])
    expect(await h.stock('gadget')).toBe(8)
  })

  it('still answers 503 (not 500) when the release fails too; the reservation stays, traceable by the order id', async () => {
    const alice = await h.userToken('alice')
    failReleases = true
    await breakInserts(db, 'orders')
    const res = await post(alice)
    expect(res.statusCode).toBe(503)
    expect(res.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'The order could not be recorded and was not placed',
    })
    expect(releases).toBe(1)
    expect(await h.stock('gadget')).toBe(8)
  })
})
