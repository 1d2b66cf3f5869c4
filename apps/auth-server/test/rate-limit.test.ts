import { describe, expect, it } from 'vitest'
import { authorizeUrl, Browser, basic, fakeClock, post, start } from './helpers.js'

async function loginPage(url: string, browser: Browser) {
  const authorize = await authorizeUrl(url)
  return { pageUrl: authorize.toString(), page: await (await browser.request(authorize.toString())).text() }
}

describe('rate limits answer 429 with Retry-After', () => {
  it('limits the token endpoint per IP, in OAuth JSON', async () => {
    const server = await start({ RATE_LIMIT_TOKEN_MAX: '3', RATE_LIMIT_WINDOW: '60' })
    const auth = basic('orders-api', 'orders-api-secret')
    for (let i = 0; i < 3; i++) {
      expect((await post(`${server.url}/token`, { grant_type: 'client_credentials' }, auth)).status).toBe(200)
    }
    const limited = await post(`${server.url}/token`, { grant_type: 'client_credentials' }, auth)
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60)
    expect(await limited.json()).toEqual({
      error: 'too_many_requests',
      error_description: expect.stringMatching(/rate limit/),
    })
  })

  it('limits login attempts per IP with an HTML page', async () => {
    const server = await start({ RATE_LIMIT_LOGIN_MAX: '2' })
    const browser = new Browser()
    const { pageUrl, page } = await loginPage(server.url, browser)
    for (let i = 0; i < 2; i++) {
      expect((await browser.submit(pageUrl, page, { username: 'alice', password: 'wrong' })).status).toBe(400)
    }
    const limited = await browser.submit(pageUrl, page, { username: 'alice', password: 'demo-password' })
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/)
    expect(limited.headers.get('content-type')).toMatch(/text\/html/)
    expect(await limited.text()).toContain('Too many attempts')
  })

  it('locks one account for one source address after repeated failures, until the window passes', async () => {
    const clock = fakeClock()
    const server = await start({ LOGIN_MAX_FAILURES: '3', RATE_LIMIT_WINDOW: '60' }, { now: clock.now })
    for (let i = 0; i < 3; i++) {
      const browser = new Browser()
      const { pageUrl, page } = await loginPage(server.url, browser)
      expect((await browser.submit(pageUrl, page, { username: 'alice', password: 'wrong' })).status).toBe(400)
    }
    const browser = new Browser()
    const { pageUrl, page } = await loginPage(server.url, browser)
    const locked = await browser.submit(pageUrl, page, { username: 'alice', password: 'demo-password' })
    expect(locked.status).toBe(429)
    expect(locked.headers.get('retry-after')).toBe('60')
    // Bob is not affected by the attempts on alice.
    const bobBrowser = new Browser()
    const bobPage = await loginPage(server.url, bobBrowser)
    expect(
      (await bobBrowser.submit(bobPage.pageUrl, bobPage.page, { username: 'bob', password: 'demo-password' }))
        .status,
    ).toBe(303)

    clock.advance(60)
    const retry = await loginPage(server.url, browser)
    expect(
      (await browser.submit(retry.pageUrl, retry.page, { username: 'alice', password: 'demo-password' }))
        .status,
    ).toBe(303)
  })
})
