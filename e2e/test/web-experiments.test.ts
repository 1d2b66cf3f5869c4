import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Stack, startStack } from './helpers/stack.js'
import { type Jar, postJson, signIn } from './helpers/web-sign-in.js'

describe('experiments, each one click with its outcome explained', () => {
  let stack: Stack
  let jar: Jar
  beforeAll(async () => {
    stack = await startStack()
    jar = await signIn(stack.webUrl)
  })
  afterAll(() => stack?.close())

  it('calls orders-api through the BFF and reports the key it verified with and a flat JWKS count', async () => {
    const first = await postJson(stack.webUrl, '/api/call/orders', jar)
    expect(first.status).toBe(200)
    expect(first.body).toMatchObject({ api: 'orders', status: 200, body: { orders: [] } })
    const second = await postJson(stack.webUrl, '/api/call/orders', jar)
    expect(second.body.request.kid).toEqual(expect.any(String))
    expect(second.body.observation.jwksFetches.before).toBeGreaterThanOrEqual(1)
    expect(second.body.observation.jwksFetches.after).toBe(second.body.observation.jwksFetches.before)
    expect(second.body.observation.verified.after).toBe(second.body.observation.verified.before + 1)
  })

  it('gets a separate inventory-api token by refresh (RFC 8707) and inventory-api accepts it', async () => {
    const call = await postJson(stack.webUrl, '/api/call/inventory', jar)
    expect(call.body.status).toBe(200)
    // With openid the token also names the auth-server's /userinfo (issue 12, item 15), never orders-api.
    const aud = call.body.request.aud
    expect(Array.isArray(aud) ? aud : [aud]).toContain('urn:stateless-auth:inventory-api')
    expect(Array.isArray(aud) ? aud : [aud]).not.toContain('urn:stateless-auth:orders-api')
  })

  it('tamper: the edited token is refused with 401 invalid_token', async () => {
    const { body } = await postJson(stack.webUrl, '/api/experiments/tamper', jar)
    expect(body.outcome).toBe('as-explained')
    expect(body.steps[0].call.status).toBe(401)
    expect(body.steps[0].call.wwwAuthenticate).toContain('invalid_token')
  })

  it('audience: the orders token is refused by inventory-api', async () => {
    const { body } = await postJson(stack.webUrl, '/api/experiments/audience', jar)
    expect(body.outcome).toBe('as-explained')
    expect(body.steps[0].call).toMatchObject({ api: 'inventory', status: 401 })
    expect(body.steps[0].call.wwwAuthenticate).toMatch(/audience/i)
  })

  it('steal: the stolen Bearer token works, the stolen DPoP-bound one is refused three ways', async () => {
    const { body } = await postJson(stack.webUrl, '/api/experiments/steal', jar)
    expect(body.outcome).toBe('as-explained')
    const calls = body.steps.map((step: { call: { status: number; wwwAuthenticate?: string } }) => step.call)
    expect(calls.map((call: { status: number }) => call.status)).toEqual([200, 401, 401, 200, 401])
    expect(calls[1].wwwAuthenticate).toContain('error="invalid_token"')
    expect(calls[1].wwwAuthenticate).toContain('must be sent with the DPoP scheme')
    expect(calls[2].wwwAuthenticate).toContain('error_description="Invalid DPoP key binding"')
    expect(calls[4].wwwAuthenticate).toContain('error="invalid_dpop_proof"')
    expect(
      body.steps.map((step: { call: { request: { scheme: string } } }) => step.call.request.scheme),
    ).toEqual(['Bearer', 'Bearer', 'DPoP', 'DPoP', 'DPoP'])
    // The session keeps working with its own key afterwards.
    expect((await postJson(stack.webUrl, '/api/call/orders', jar)).body.status).toBe(200)
  })

  it('expiry: says how long to wait while the token is still valid, sending nothing', async () => {
    const { body } = await postJson(stack.webUrl, '/api/experiments/expiry', jar)
    expect(body.outcome).toBe('not-run')
    expect(body.explanation).toMatch(/still valid for \d+ s/)
    expect(body.steps).toEqual([])
  })

  it('revoke now: both APIs refuse the revoked tokens within ttl, each after one list fetch', async () => {
    const { body } = await postJson(stack.webUrl, '/api/experiments/revoke', jar)
    expect(body.outcome, JSON.stringify(body, null, 2)).toBe('as-explained')
    expect(body.steps[0].call).toMatchObject({ api: 'orders', status: 200 })
    expect(body.steps[1].call).toMatchObject({ api: 'inventory', status: 200 })
    const timeline = body.steps[2].detail
    // The auth-server's default ttl (30 s) here: the experiment waits for each API's next fetch.
    expect(timeline.ttl).toBe(30)
    expect(timeline.events[0]).toMatchObject({ atMs: 0, api: 'auth-server', kind: 'revoked' })
    for (const api of ['orders', 'inventory']) {
      const fetched = timeline.events.find(
        (e: { api: string; kind: string }) => e.api === api && e.kind === 'list_fetch',
      )
      const refused = timeline.events.find(
        (e: { api: string; kind: string }) => e.api === api && e.kind === 'refused',
      )
      // The refusal comes with (never before) the API's next list fetch, within ttl + the 2 s margin.
      expect(fetched.atMs).toBeLessThanOrEqual(refused.atMs)
      expect(refused.atMs).toBeLessThanOrEqual(32_000)
      expect(refused.detail).toContain('has been revoked')
      const delta = timeline.fetches[api].after - timeline.fetches[api].before
      expect(delta).toBeGreaterThanOrEqual(1)
      expect(delta).toBeLessThanOrEqual(2)
    }
    expect(body.steps.slice(3).map((s: { call: { status: number } }) => s.call.status)).toEqual([401, 401])
    // The session's tokens were replaced (its refresh token was not revoked): the APIs accept it again.
    const after = await postJson(stack.webUrl, '/api/call/orders', jar)
    expect(after.body).toMatchObject({ status: 200 })
    expect(after.body.retriedAfter).toBeUndefined()
  })

  it('rotate: the next token carries the new kid and orders-api fetches the JWKS exactly once', async () => {
    const { body } = await postJson(stack.webUrl, '/api/experiments/rotate', jar)
    expect(body.outcome).toBe('as-explained')
    const rotated = body.steps[0].detail
    expect(rotated.ok).toBe(true)
    const call = body.steps[1].call
    expect(call.request.kid).toBe(rotated.body.kid)
    expect(call.observation.jwksFetches.after - call.observation.jwksFetches.before).toBe(1)
  })

  it('stop: with the auth-server really stopped both APIs still answer 200; start brings it back', async () => {
    const { body } = await postJson(stack.webUrl, '/api/experiments/stop', jar)
    expect(body.outcome).toBe('as-explained')
    expect(stack.authRunning()).toBe(false)
    await expect(fetch(`${new URL(stack.webUrl).origin}/health`)).resolves.toHaveProperty('status', 200)
    expect(body.steps.slice(-2).map((s: { call: { status: number } }) => s.call.status)).toEqual([200, 200])

    const started = await postJson(stack.webUrl, '/api/experiments/start', jar)
    expect(started.body.outcome).toBe('as-explained')
    expect(stack.authRunning()).toBe(true)
  })

  it('disable: the refresh is refused; the access token already issued works until the API’s next list fetch', async () => {
    const { body } = await postJson(stack.webUrl, '/api/experiments/disable', jar)
    expect(body.outcome).toBe('as-explained')
    const [checked, disabled, refresh, still, enabled] = body.steps
    expect(checked.label).toMatch(/account is enabled/)
    expect(disabled.detail).toMatchObject({ ok: true, body: { username: 'alice', disabled: true } })
    expect(refresh.detail).toMatchObject({ error: 'invalid_grant' })
    // 200 until orders-api fetches the status list that names the token, 401 after (issue 14).
    expect([200, 401]).toContain(still.call.status)
    expect(enabled.detail).toMatchObject({ ok: true, body: { disabled: false } })
    // The refused refresh ended the web session (issue 12, item 1): anything else needs a new sign-in.
    const after = await postJson(stack.webUrl, '/api/call/inventory', jar)
    expect(after.status).toBe(401)
    expect(after.body).toMatchObject({ error: 'WEB_ERR_NOT_SIGNED_IN' })
  })

  it('signing out revokes the refresh token at the auth-server (RFC 7009) and ends the session', async () => {
    const fresh = await signIn(stack.webUrl)
    const before = await postJson(stack.webUrl, '/api/call/orders', fresh)
    expect(before.body.status).toBe(200)
    const revocations = stack.toAuthServer.filter((path) => path === '/revoke').length

    const out = await fetch(`${stack.webUrl}/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: fresh.header(), 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(out.status).toBe(303)
    expect(out.headers.get('set-cookie')).toMatch(/^sid=;/)
    // The web app revoked its refresh token at the auth-server, and the old session cookie opens nothing.
    expect(stack.toAuthServer.filter((path) => path === '/revoke')).toHaveLength(revocations + 1)
    const after = await postJson(stack.webUrl, '/api/call/orders', fresh)
    expect(after.status).toBe(401)
    expect(after.body).toMatchObject({ error: 'WEB_ERR_NOT_SIGNED_IN' })
  })
})
