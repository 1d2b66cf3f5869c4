import * as client from 'openid-client'
import { describe, expect, it } from 'vitest'
import {
  admin,
  codeTokens,
  discover,
  fakeClock,
  INVENTORY,
  ORDERS,
  obtainCode,
  redeem,
  refresh,
  signIn,
  start,
  verifyAccessToken,
} from './helpers.js'

type Tokens = { access_token: string; refresh_token: string; scope: string; id_token?: string }

describe('refresh tokens: rotation, reuse detection, lifetimes, the user re-checked', () => {
  it('rotates the refresh token on every use (openid-client refreshTokenGrant)', async () => {
    const server = await start()
    const config = await discover(server.url)
    const { tokens } = await signIn(config)
    const first = await client.refreshTokenGrant(config, tokens.refresh_token!)
    expect(first.refresh_token).toBeDefined()
    expect(first.refresh_token).not.toBe(tokens.refresh_token)
    expect(first.access_token).not.toBe(tokens.access_token)
    const { payload } = await verifyAccessToken(server.url, first.access_token, ORDERS)
    expect(payload).toMatchObject({
      sub: 'alice',
      client_id: 'web',
      scope: 'openid profile offline_access orders:read',
    })
    const second = await client.refreshTokenGrant(config, first.refresh_token!)
    expect(second.refresh_token).not.toBe(first.refresh_token)
  })

  it('issues a refresh token only when offline_access was granted (OIDC Core §11)', async () => {
    const server = await start()
    const online = await redeem(server.url, await obtainCode(server.url, { scope: 'openid orders:read' }))
    expect(online.status).toBe(200)
    const body = (await online.json()) as Record<string, unknown>
    expect(body).toMatchObject({ access_token: expect.any(String), id_token: expect.any(String) })
    expect(body).not.toHaveProperty('refresh_token')
    // The public demo-cli asks the same way: no offline_access, no refresh token.
    const { tokens: cli } = await signIn(await discover(server.url, 'demo-cli', null), {
      scope: 'openid orders:read',
      redirectUri: 'http://127.0.0.1:31337/callback',
    })
    expect(cli.refresh_token).toBeUndefined()

    // With offline_access, a refresh asking for less than the grant still rotates its refresh token.
    const offline = await codeTokens(server.url, { scope: 'offline_access orders:read' })
    const narrowed = (await (
      await refresh(server.url, offline.refresh_token, { scope: 'orders:read' })
    ).json()) as Tokens
    expect(narrowed.scope).toBe('orders:read')
    expect(narrowed.refresh_token).toEqual(expect.any(String))
    expect(narrowed.refresh_token).not.toBe(offline.refresh_token)
  })

  it('revokes the whole family when a rotated refresh token is used again (RFC 9700 §4.14.2)', async () => {
    const server = await start()
    const original = await codeTokens(server.url)
    const rotated = (await (await refresh(server.url, original.refresh_token)).json()) as Tokens

    const reuse = await refresh(server.url, original.refresh_token)
    expect(reuse.status).toBe(400)
    expect(await reuse.json()).toMatchObject({
      error: 'invalid_grant',
      error_description: expect.stringMatching(/family/),
    })
    // The legitimate holder's newer token died with the family.
    const afterReuse = await refresh(server.url, rotated.refresh_token)
    expect(afterReuse.status).toBe(400)
    expect(await afterReuse.json()).toMatchObject({ error: 'invalid_grant' })
  })

  it('narrows scope and switches audience within the grant, never widens them', async () => {
    const server = await start()
    let tokens = await codeTokens(server.url, {
      scope: 'openid offline_access orders:read inventory:read',
      resources: [ORDERS, INVENTORY],
    })
    const narrowed = await refresh(server.url, tokens.refresh_token, { scope: 'orders:read' })
    expect(narrowed.status).toBe(200)
    tokens = (await narrowed.json()) as Tokens
    expect(tokens.scope).toBe('orders:read')
    expect(tokens.id_token).toBeUndefined()
    expect((await verifyAccessToken(server.url, tokens.access_token, ORDERS)).payload.aud).toBe(ORDERS)

    const switched = await refresh(server.url, tokens.refresh_token, { resource: INVENTORY })
    tokens = (await switched.json()) as Tokens
    // Back to the grant's full scope, openid included: the userinfo endpoint is named too (issue 12, item 15).
    expect((await verifyAccessToken(server.url, tokens.access_token, INVENTORY)).payload.aud).toEqual([
      INVENTORY,
      `${server.url}/userinfo`,
    ])

    const widened = await refresh(server.url, tokens.refresh_token, { scope: 'orders:read orders:write' })
    expect(await widened.json()).toMatchObject({ error: 'invalid_scope' })

    // Only the resources granted at authorization may be asked for (RFC 8707 §2.2).
    const other = await codeTokens(server.url, { scope: 'offline_access inventory:read' })
    const wrongTarget = await refresh(server.url, other.refresh_token, { resource: INVENTORY })
    expect(await wrongTarget.json()).toMatchObject({ error: 'invalid_target' })
  })

  it('refuses a refresh once the user is disabled, and the admin can enable them again', async () => {
    const server = await start()
    const tokens = await codeTokens(server.url, { username: 'bob' })
    expect((await admin(server.adminUrl, '/admin/users/bob/disable')).status).toBe(200)
    const refused = await refresh(server.url, tokens.refresh_token)
    expect(refused.status).toBe(400)
    expect(await refused.json()).toMatchObject({
      error: 'invalid_grant',
      error_description: expect.stringMatching(/user/),
    })
    expect((await admin(server.adminUrl, '/admin/users/bob/enable')).status).toBe(200)
    // Bob signs in afresh and gets tokens again.
    await codeTokens(server.url, { username: 'bob' })
  })

  it('expires a refresh token left idle, and every token past the absolute lifetime', async () => {
    const clock = fakeClock()
    const server = await start(
      { REFRESH_TOKEN_IDLE_TTL: '3600', REFRESH_TOKEN_TTL: '7200' },
      { now: clock.now },
    )
    const idle = await codeTokens(server.url)
    let active = await codeTokens(server.url)
    for (let i = 0; i < 3; i++) {
      clock.advance(3000)
      const response = await refresh(server.url, active.refresh_token)
      if (i < 2) {
        expect(response.status, `refresh ${i}`).toBe(200)
        active = (await response.json()) as Tokens
      } else {
        // 9000 s after login: past the 7200 s absolute lifetime although used within the idle window.
        expect(await response.json()).toMatchObject({
          error: 'invalid_grant',
          error_description: expect.stringMatching(/expired/),
        })
      }
    }
    const stale = await refresh(server.url, idle.refresh_token)
    expect(await stale.json()).toMatchObject({
      error: 'invalid_grant',
      error_description: expect.stringMatching(/expired/),
    })
  })

  it('refuses refresh tokens of another client', async () => {
    const server = await start()
    const cli = await obtainCode(server.url, {
      clientId: 'demo-cli',
      redirectUri: 'http://127.0.0.1:7000/callback',
      scope: 'offline_access orders:read',
    })
    const response = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: 'demo-cli',
        code: cli.code,
        code_verifier: cli.verifier,
        redirect_uri: cli.redirectUri,
      }),
    })
    const tokens = (await response.json()) as Tokens
    expect(tokens.refresh_token).toBeDefined()
    const stolen = await refresh(server.url, tokens.refresh_token)
    expect(await stolen.json()).toMatchObject({ error: 'invalid_grant' })
  })
})
