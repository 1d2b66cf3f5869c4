import { type Database, openDatabase } from '@stateless-auth/sql'
import { backends, breakInserts, type TestStore } from '@stateless-auth/sql/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { obtainCode, redeem, refresh, start } from './helpers.js'

// Issue 15, scenario 3: a SIGKILL between using up a code (or rotating a refresh token) and recording what it
// issued left the code consumed without tokens and the refresh-token family without a live token (found by
// `pnpm resilience`). The redemption and the records now commit together, or not at all.
describe.each(backends())('a grant that fails half-way (%s)', (backend) => {
  let store: TestStore
  let db: Database
  afterEach(async () => {
    await db.close()
    await store.drop()
  })

  const setUp = async () => {
    store = await backend.createStore()
    const server = await start({ DATABASE_URL: store.url })
    db = await openDatabase(store.url)
    return server
  }

  it('leaves the code unused: it redeems once the store is back', async () => {
    const server = await setUp()
    const code = await obtainCode(server.url)
    const repair = await breakInserts(db, 'refresh_tokens')
    expect((await redeem(server.url, code)).status).toBe(500)
    await repair()
    const answer = await redeem(server.url, code)
    expect(answer.status).toBe(200)
    expect(await answer.json()).toHaveProperty('refresh_token')
    const rows = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM access_tokens')
    expect(Number(rows[0]!.n)).toBe(1)
  })

  it('leaves the refresh token live: it rotates once the store is back', async () => {
    const server = await setUp()
    const tokens = (await (await redeem(server.url, await obtainCode(server.url))).json()) as {
      refresh_token: string
    }
    const repair = await breakInserts(db, 'refresh_tokens')
    expect((await refresh(server.url, tokens.refresh_token)).status).toBe(500)
    await repair()
    expect((await refresh(server.url, tokens.refresh_token)).status).toBe(200)
    expect((await refresh(server.url, tokens.refresh_token)).status).toBe(400)
  })
})
