import { expectDatabaseUnavailable, expectNotReady } from '@stateless-auth/resource-server/testing'
import {
  backends,
  type DatabaseRelay,
  postgresSkipReason,
  relayDatabase,
  type TestStore,
} from '@stateless-auth/sql/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { bearer, type Harness, harness } from './helper.js'

// Issue 15, scenario 2: with its PostgreSQL gone, inventory-api answered 500 and orders-api passed that on as 502.
const postgres = backends().find((b) => b.name === 'postgres')
describe.skipIf(!postgres)(`PostgreSQL going away under inventory-api ${postgresSkipReason() ?? ''}`, () => {
  let store: TestStore
  let relay: DatabaseRelay
  let h: Harness
  let headers: Record<string, string>

  beforeEach(async () => {
    store = await postgres!.createStore()
    relay = await relayDatabase(store.url)
    h = await harness(relay.url)
    headers = bearer(await h.serviceToken())
  })
  afterEach(async () => {
    await h.close()
    await relay.close()
    await store.drop()
  })

  const reserve = (id: string) =>
    h.app.inject({
      method: 'POST',
      url: '/inventory/gadget/reserve',
      headers,
      payload: { quantity: 2, reservation_id: id },
    })
  const release = (id: string) =>
    h.app.inject({
      method: 'POST',
      url: '/inventory/gadget/release',
      headers,
      payload: { reservation_id: id },
    })
  const stock = async () => (await h.app.inject({ url: '/inventory/gadget', headers })).json().stock as number

  it('answers 503 temporarily_unavailable with Retry-After on every database route, and /ready is not ready', async () => {
    expect((await reserve('before')).statusCode).toBe(201)
    await relay.cut()
    expectDatabaseUnavailable(await h.app.inject({ url: '/inventory', headers }))
    expectDatabaseUnavailable(await h.app.inject({ url: '/inventory/gadget', headers }))
    expectDatabaseUnavailable(await reserve('during'))
    expectDatabaseUnavailable(await release('before'))
    await expectNotReady(h.app)
    // Bearer failures do not reach the database and keep their RFC 6750 answer.
    expect((await h.app.inject({ url: '/inventory' })).statusCode).toBe(401)
  })

  it('serves again once PostgreSQL is back, without a restart, and lost nothing it had accepted', async () => {
    expect((await reserve('before')).statusCode).toBe(201)
    expect(await stock()).toBe(8)
    await relay.cut()
    expectDatabaseUnavailable(await reserve('during'))
    await relay.restore()
    expect((await h.app.inject({ url: '/ready' })).statusCode).toBe(200)
    expect(await stock()).toBe(8)
    expect((await reserve('during')).statusCode).toBe(201)
    expect((await release('before')).statusCode).toBe(200)
    expect(await stock()).toBe(8)
  })
})
