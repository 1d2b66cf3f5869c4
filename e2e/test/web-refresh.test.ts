import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Stack, startStack } from './helpers/stack.js'
import { type Jar, postJson, signIn } from './helpers/web-sign-in.js'

// REFRESH_MARGIN above the token lifetime makes every call refresh first, rotating the refresh token each time.
describe('refreshing shortly before expiry, with rotation', () => {
  let stack: Stack
  let jar: Jar
  beforeAll(async () => {
    stack = await startStack({ REFRESH_MARGIN: '3600' })
    jar = await signIn(stack.webUrl)
  })
  afterAll(() => stack?.close())

  it('serialises concurrent refreshes of one session, so rotation never looks like reuse', async () => {
    const calls = await Promise.all(
      Array.from({ length: 6 }, () => postJson(stack.webUrl, '/api/call/orders', jar)),
    )
    expect(calls.map((c) => c.status)).toEqual([200, 200, 200, 200, 200, 200])
    expect(calls.map((c) => c.body.status)).toEqual([200, 200, 200, 200, 200, 200])
    // Six rotations in a row, and the family is still alive afterwards.
    const after = await postJson(stack.webUrl, '/api/call/orders', jar)
    expect(after.body.status).toBe(200)
  })
  it('answers 503 while the auth-server is down and keeps the refresh token for when it is back', async () => {
    const stopped = await postJson(stack.webUrl, '/api/experiments/stop', jar)
    expect(stopped.body.outcome).toBe('as-explained')
    const down = await postJson(stack.webUrl, '/api/call/orders', jar)
    expect(down.status).toBe(503)
    expect(down.body.error).toBe('WEB_ERR_AUTH_SERVER_UNREACHABLE')
    await postJson(stack.webUrl, '/api/experiments/start', jar)
    const back = await postJson(stack.webUrl, '/api/call/orders', jar)
    expect(back.body.status).toBe(200)
  })
})
