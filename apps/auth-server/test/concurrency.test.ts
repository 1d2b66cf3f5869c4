import { backends } from '@stateless-auth/sql/testing'
import { describe, expect, it } from 'vitest'
import { freshStores, obtainCode, redeem, refresh, start } from './helpers.js'

describe.each(backends())('20 parallel redemptions on %s', (backend) => {
  const newStore = freshStores(backend)

  // RFC 9700 §4.5 / RFC 6749 §4.1.2: a code is used once; a replay revokes what the code issued. With 20 at once, the
  // one redemption that wins may or may not finish before a replay revokes its grant (it depends on scheduling):
  // at most one gets tokens, and whatever it got dies with the grant.
  it('let at most one redemption of a code succeed, and revoke what it issued', async () => {
    const store = await newStore()
    const server = await start({ DATABASE_URL: store.url })
    const code = await obtainCode(server.url)
    const responses = await Promise.all(Array.from({ length: 20 }, () => redeem(server.url, code)))
    const statuses = responses.map((r) => r.status)
    const winners = responses.filter((r) => r.status === 200)
    expect(winners.length).toBeLessThanOrEqual(1)
    expect(statuses.filter((s) => s === 400)).toHaveLength(20 - winners.length)
    for (const response of responses.filter((r) => r.status === 400)) {
      expect(await response.json()).toMatchObject({ error: 'invalid_grant' })
    }
    for (const winner of winners) {
      const { refresh_token } = (await winner.json()) as { refresh_token: string }
      const after = await refresh(server.url, refresh_token)
      expect(after.status).toBe(400)
      expect(await after.json()).toMatchObject({ error: 'invalid_grant' })
    }
    await server.close()
  })

  it('let exactly one use of a refresh token succeed', async () => {
    const store = await newStore()
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
