import { backends } from '@stateless-auth/sql/testing'
import { describe, expect, it } from 'vitest'
import { authorizeUrl, Browser, basic, freshStores, post, start } from './helpers.js'

async function expectJsonError(response: Response, status: number, error: string) {
  expect(response.status).toBe(status)
  expect(response.headers.get('content-type')).toMatch(/^application\/json/)
  expect(response.headers.get('cache-control')).toBe('no-store')
  expect(await response.json()).toEqual({ error, error_description: expect.any(String) })
}

// PostgreSQL refuses text containing NUL ("invalid byte sequence"), where SQLite stores it: a value that reaches
// a query unchecked is a 500 on one backend only. Every input is checked before it gets near the store.
describe.each(backends())('control characters in input, on %s', (backend) => {
  const newStore = freshStores(backend)

  it('are a 4xx in the endpoint’s own format, never a 500', async () => {
    const store = await newStore()
    const server = await start({ DATABASE_URL: store.url })
    const token = `${server.url}/token`
    await expectJsonError(
      await post(token, { grant_type: 'client_credentials', client_id: 'a\u0000b', client_secret: 'x' }),
      400,
      'invalid_request',
    )
    const viaBasic = await post(token, { grant_type: 'client_credentials' }, basic('a\u0000b', 'x'))
    expect(viaBasic.headers.get('www-authenticate')).toMatch(/^Basic/)
    await expectJsonError(viaBasic, 401, 'invalid_client')
    await expectJsonError(
      await post(`${server.url}/revoke`, { client_id: 'demo-\u0000cli', token: 'x' }),
      400,
      'invalid_request',
    )
    const adminResponse = await fetch(`${server.adminUrl}/admin/users/a%00b/disable`, {
      method: 'POST',
      headers: { authorization: 'Bearer admin-token' },
    })
    await expectJsonError(adminResponse, 400, 'invalid_request')

    // The authorization endpoint answers with a page before the redirect URI is known, by redirect after.
    const unknown = await fetch(
      `${server.url}/authorize?${new URLSearchParams({ client_id: 'web\u0000' })}`,
      {
        redirect: 'manual',
      },
    )
    expect(unknown.status).toBe(400)
    expect(unknown.headers.get('content-type')).toMatch(/text\/html/)
    const authorize = await authorizeUrl(server.url, { nonce: 'n\u0000' })
    const redirected = await fetch(authorize, { redirect: 'manual' })
    expect(redirected.status).toBe(302)
    expect(new URL(redirected.headers.get('location')!).searchParams.get('error')).toBe('invalid_request')

    // A username with a NUL is just a failed sign-in, like any other unknown name.
    authorize.searchParams.delete('nonce')
    const browser = new Browser()
    const page = await (await browser.request(authorize.toString())).text()
    const login = await browser.submit(authorize.toString(), page, {
      username: 'alice\u0000',
      password: 'demo-password',
    })
    expect(login.status).toBe(400)
    expect(await login.text()).toContain('Invalid username or password.')
  })
})

describe('requests the router itself refuses', () => {
  it('still answer in OAuth JSON with Cache-Control: no-store', async () => {
    const server = await start()
    const headers = { authorization: 'Bearer admin-token' }
    await expectJsonError(
      await fetch(`${server.adminUrl}/admin/users/%E0%A4%A/disable`, { method: 'POST', headers }),
      400,
      'invalid_request',
    )
    await expectJsonError(
      await fetch(`${server.adminUrl}/admin/users/${'a'.repeat(300)}/disable`, { method: 'POST', headers }),
      414,
      'invalid_request',
    )
  })
})
