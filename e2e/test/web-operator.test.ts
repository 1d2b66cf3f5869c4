import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inject, type Stack, startStack } from './helpers/stack.js'
import { postJson, signIn } from './helpers/web-sign-in.js'

// Issue 12, item 1 (web part): the experiments hold the auth-server's admin credential, but a signed-in user may
// use them only on their own account, never to undo what the operator did, and may not rotate keys at will.
describe('operator powers stay with the operator', () => {
  let stack: Stack
  beforeAll(async () => {
    stack = await startStack()
  })
  afterAll(() => stack?.close())

  const operator = (path: string) =>
    fetch(`${stack.adminUrl}/admin${path}`, {
      method: 'POST',
      headers: { authorization: 'Bearer admin-token' },
    })
  // The web app reaches /admin/* on the auth-server's operator listener only (ADMIN_URL), never the issuer.
  const count = (path: string) => {
    expect(stack.toAuthServer.filter((seen) => seen.startsWith('/admin/'))).toEqual([])
    return stack.toAdmin.filter((seen) => seen === path).length
  }

  it('a user the operator disabled loses the web session and cannot re-enable themselves', async () => {
    const bob = await signIn(stack.webUrl, 'bob')
    expect((await operator('/users/bob/disable')).status).toBe(200)

    const attempt = await postJson(stack.webUrl, '/api/experiments/disable', bob)
    expect(attempt.status).toBe(401)
    expect(count('/admin/users/bob/enable')).toBe(0)
    // The refused refresh ended the web session: the cookie opens nothing any more.
    const after = await postJson(stack.webUrl, '/api/call/orders', bob)
    expect(after.status).toBe(401)
    expect(after.body).toMatchObject({ error: 'WEB_ERR_NOT_SIGNED_IN' })
    const page = await inject(stack, { url: '/', headers: { cookie: bob.header() } })
    expect(page.body).toContain('href="/login"')
    // And bob is still disabled: signing in again is refused.
    await expect(signIn(stack.webUrl, 'bob')).rejects.toThrow()
    expect((await operator('/users/bob/enable')).status).toBe(200)
  })

  it('rotation from the page is limited: a second rotation, from any session, is not run', async () => {
    const alice = await signIn(stack.webUrl)
    const first = await postJson(stack.webUrl, '/api/experiments/rotate', alice)
    expect(first.status).toBe(200)
    expect(first.body.outcome).toBe('as-explained')
    expect(count('/admin/keys/rotate')).toBe(1)

    const again = await postJson(stack.webUrl, '/api/experiments/rotate', alice)
    expect(again.body.outcome).toBe('not-run')
    expect(again.body.explanation).toMatch(/once every \d+ s/)
    const bob = await signIn(stack.webUrl, 'bob')
    const other = await postJson(stack.webUrl, '/api/experiments/rotate', bob)
    expect(other.body.outcome).toBe('not-run')
    expect(count('/admin/keys/rotate')).toBe(1)
  })
})
