import { describe, expect, it } from 'vitest'
import { signedInStack } from './helpers/stack.js'
import { postJson } from './helpers/web-sign-in.js'

// REFRESH_MARGIN above the token lifetime makes every call refresh first, rotating the refresh token each time.
describe('refreshing shortly before expiry, with rotation', () => {
  const suite = signedInStack({ REFRESH_MARGIN: '3600' })

  it('serialises concurrent refreshes of one session, so rotation never looks like reuse', async () => {
    const calls = await Promise.all(
      Array.from({ length: 6 }, () => postJson(suite.stack.webUrl, '/api/call/orders', suite.jar)),
    )
    expect(calls.map((c) => c.status)).toEqual([200, 200, 200, 200, 200, 200])
    expect(calls.map((c) => c.body.status)).toEqual([200, 200, 200, 200, 200, 200])
    // Six rotations in a row, and the family is still alive afterwards.
    const after = await postJson(suite.stack.webUrl, '/api/call/orders', suite.jar)
    expect(after.body.status).toBe(200)
  })
  it('answers 503 while the auth-server is down and keeps the refresh token for when it is back', async () => {
    const stopped = await postJson(suite.stack.webUrl, '/api/experiments/stop', suite.jar)
    expect(stopped.body.outcome).toBe('as-explained')
    const down = await postJson(suite.stack.webUrl, '/api/call/orders', suite.jar)
    expect(down.status).toBe(503)
    expect(down.body.error).toBe('WEB_ERR_AUTH_SERVER_UNREACHABLE')
    await postJson(suite.stack.webUrl, '/api/experiments/start', suite.jar)
    const back = await postJson(suite.stack.webUrl, '/api/call/orders', suite.jar)
    expect(back.body.status).toBe(200)
  })
})
