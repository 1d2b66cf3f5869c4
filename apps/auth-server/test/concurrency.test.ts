import { backends, type TestStore } from '@stateless-auth/sql/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { obtainCode, redeem, refresh, start } from './helpers.js'

describe.each(backends())('20 parallel redemptions on %s', (backend) => {
  let store: TestStore | undefined
  afterEach(async () => {
    await store?.drop()
  })

  it('let exactly one redemption of a code succeed', async () => {
    store = await backend.createStore()
    const server = await start({ DATABASE_URL: store.url })
    const code = await obtainCode(server.url)
    const responses = await Promise.all(Array.from({ length: 20 }, () => redeem(server.url, code)))
    const statuses = responses.map((r) => r.status)
    expect(statuses.filter((s) => s === 200)).toHaveLength(1)
    expect(statuses.filter((s) => s === 400)).toHaveLength(19)
    for (const response of responses.filter((r) => r.status === 400)) {
      expect(await response.json()).toMatchObject({ error: 'invalid_grant' })
    }
    await server.close()
  })

  it('let exactly one use of a refresh token succeed', async () => {
    store = await backend.createStore()
    const server = await start({ DATABASE_URL: store.url })
    const tokens = (await (await redeem(server.url, await obtainCode(server.url))).json()) as {
      refresh_token: string
    }
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => refresh(server.url, tokens.refresh_token)),
    )
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1)
    expect(responses.filter((r) => r.status === 400)).toHaveLength(19)
    await server.close()
  })
})
