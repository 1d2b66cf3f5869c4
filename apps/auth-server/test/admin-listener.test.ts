import { describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.js'
import { admin, start } from './helpers.js'

// Issue 12, item 1: the operator routes live on their own listener (ADMIN_HOST:ADMIN_PORT, loopback by default);
// the public port never serves them, whatever token comes with the request.
describe('admin listener', () => {
  it('answers 404 for /admin/* on the public port, even with the right token', async () => {
    const server = await start()
    for (const path of ['/admin/keys/rotate', '/admin/users/bob/disable']) {
      const response = await admin(server.url, path)
      expect(response.status, path).toBe(404)
      expect(await response.json()).toMatchObject({ error: expect.any(String) })
    }
    const list = await fetch(`${server.url}/admin/keys`, { headers: { authorization: 'Bearer admin-token' } })
    expect(list.status).toBe(404)
    // Nothing was rotated or disabled through the public port.
    const keys = await fetch(`${server.adminUrl}/admin/keys`, {
      headers: { authorization: 'Bearer admin-token' },
    })
    expect(((await keys.json()) as { keys: unknown[] }).keys).toHaveLength(1)
  })

  it('serves the operator routes on the admin listener, guarded by ADMIN_TOKEN, and nothing else there', async () => {
    const server = await start()
    expect(server.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(server.adminUrl).not.toBe(server.url)
    expect((await admin(server.adminUrl, '/admin/keys/rotate', 'wrong-token')).status).toBe(401)
    const rotated = await admin(server.adminUrl, '/admin/keys/rotate')
    expect(rotated.status).toBe(200)
    expect(await rotated.json()).toMatchObject({ kid: expect.any(String), activates_at: expect.any(Number) })
    expect(rotated.headers.get('cache-control')).toBe('no-store')
    const disabled = await admin(server.adminUrl, '/admin/users/bob/disable')
    expect(await disabled.json()).toEqual({ username: 'bob', disabled: true })
    // The admin listener is not a second public port.
    const token = await fetch(`${server.adminUrl}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    })
    expect(token.status).toBe(404)
    expect((await fetch(`${server.adminUrl}/.well-known/openid-configuration`)).status).toBe(404)
  })

  it('listens on loopback port 4003 by default and refuses ADMIN_PORT equal to PORT', () => {
    const config = loadConfig({ DATABASE_URL: ':memory:' })
    expect([config.adminHost, config.adminPort]).toEqual(['127.0.0.1', 4003])
    expect(() => loadConfig({ DATABASE_URL: ':memory:', PORT: '4000', ADMIN_PORT: '4000' })).toThrow(
      /ADMIN_PORT must differ from PORT/,
    )
    expect(loadConfig({ DATABASE_URL: ':memory:', PORT: '0', ADMIN_PORT: '0' }).adminPort).toBe(0)
  })
})
