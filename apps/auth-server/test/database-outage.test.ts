import {
  backends,
  type DatabaseRelay,
  postgresSkipReason,
  relayDatabase,
  type TestStore,
} from '@stateless-auth/sql/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { basic, post, start } from './helpers.js'

// Issue 15, scenario 2: with PostgreSQL stopped the auth-server answered 500 (found by `pnpm resilience`).
const postgres = backends().find((b) => b.name === 'postgres')
describe.skipIf(!postgres)(
  `PostgreSQL going away under the auth-server ${postgresSkipReason() ?? ''}`,
  () => {
    let store: TestStore | undefined
    let link: DatabaseRelay | undefined
    afterEach(async () => {
      await link?.close()
      await store?.drop()
    })

    it('answers 503 temporarily_unavailable with Retry-After, never 500, and /ready is false', async () => {
      store = await postgres!.createStore()
      link = await relayDatabase(store.url)
      const server = await start({ DATABASE_URL: link.url })
      const grant = () =>
        post(
          `${server.url}/token`,
          { grant_type: 'client_credentials' },
          basic('orders-api', 'orders-api-secret'),
        )
      expect((await grant()).status).toBe(200)
      await link.cut()
      for (let i = 0; i < 3; i++) {
        const res = await grant()
        expect(res.status).toBe(503)
        expect(res.headers.get('retry-after')).toBe('2')
        expect(await res.json()).toMatchObject({ error: 'temporarily_unavailable' })
      }
      expect((await fetch(`${server.url}/ready`)).status).toBe(503)
    })
  },
)
