import { backends } from '@stateless-auth/sql/testing'
import type { FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { authorizeUrl, basic, freshStores, PASSWORD } from './helpers.js'

const ISSUER = 'http://127.0.0.1:4000'

/** The login form's hidden fields and CSRF cookie, fetched once and replayed for every guess. */
async function loginForm(app: FastifyInstance) {
  const authorize = await authorizeUrl(ISSUER)
  const page = await app.inject({
    url: `${authorize.pathname}${authorize.search}`,
    remoteAddress: '10.9.9.9',
  })
  expect(page.statusCode).toBe(200)
  const fields: Record<string, string> = {}
  for (const input of page.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[input[1]!] = input[2]!.replace(/&amp;/g, '&').replace(/&quot;/g, '"')
  }
  const cookie = page.cookies.map((c) => `${c.name}=${c.value}`).join('; ')
  return (app: FastifyInstance, remoteAddress: string, username: string, password: string) =>
    app.inject({
      method: 'POST',
      url: '/login',
      remoteAddress,
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ ...fields, username, password }).toString(),
    })
}

describe.each(backends())('login lockout and credential rate limits on %s', (backend) => {
  const newStore = freshStores(backend)
  const apps: FastifyInstance[] = []
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()))
  })

  async function instances(count: number, env: Record<string, string> = {}) {
    const store = await newStore()
    const config = loadConfig({
      DATABASE_URL: store.url,
      ISSUER,
      // Replicas share the cookie secret, or one would refuse the other's CSRF cookie.
      COOKIE_SECRET: 'a-cookie-secret-shared-by-the-replicas',
      LOGIN_MAX_FAILURES: '5',
      RATE_LIMIT_LOGIN_MAX: '10000',
      RATE_LIMIT_TOKEN_MAX: '10000',
      ...env,
    })
    // One after the other: the first migrates and creates the signing key, the others find them.
    for (let i = 0; i < count; i++) apps.push(await buildApp(config))
    return apps
  }

  // Issue 12, item 3: 100 concurrent guesses from 5 addresses, the right password at #73. Checking the throttle,
  // then running scrypt, then counting let every guess through the check before any failure was recorded.
  async function burst(targets: FastifyInstance[]) {
    const login = await loginForm(targets[0]!)
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        login(
          targets[i % targets.length]!,
          `10.0.0.${(i % 5) + 1}`,
          'alice',
          i === 72 ? PASSWORD : `guess-${i}`,
        ),
      ),
    )
    return { login, responses }
  }

  function expectRefused(responses: Awaited<ReturnType<FastifyInstance['inject']>>[]) {
    // #73 is the 15th guess from 10.0.0.3, long after that source used its five attempts.
    expect(responses[72]!.statusCode).toBe(429)
    expect(responses.filter((r) => r.statusCode === 303)).toEqual([])
    // Five checked attempts per (account, source) pair, the rest told to come back later.
    expect(responses.filter((r) => r.statusCode === 400)).toHaveLength(25)
    const refused = responses.filter((r) => r.statusCode === 429)
    expect(refused).toHaveLength(75)
    for (const response of refused) {
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0)
      expect(response.body).toContain('Too many failed sign-in attempts')
    }
  }

  it('refuses the right password at #73 of a 100-guess burst from 5 addresses', async () => {
    const [app] = await instances(1)
    const { login, responses } = await burst([app!])
    expectRefused(responses)
    // The account is not locked for everyone: alice signs in from another address.
    expect((await login(app!, '10.0.0.99', 'alice', PASSWORD)).statusCode).toBe(303)
    // The guessing source stays refused, even with the right password.
    expect((await login(app!, '10.0.0.3', 'alice', PASSWORD)).statusCode).toBe(429)
  })

  it('shares the failure counts between two instances on one database', async () => {
    const [a, b] = await instances(2)
    const { login, responses } = await burst([a!, b!])
    expectRefused(responses)
    expect((await login(b!, '10.0.0.99', 'alice', PASSWORD)).statusCode).toBe(303)
  })

  it('shares the /token rate limit between two instances on one database', async () => {
    const [a, b] = await instances(2, { RATE_LIMIT_TOKEN_MAX: '4' })
    const token = (app: FastifyInstance, remoteAddress = '10.0.0.1') =>
      app.inject({
        method: 'POST',
        url: '/token',
        remoteAddress,
        headers: {
          ...basic('orders-api', 'orders-api-secret'),
          'content-type': 'application/x-www-form-urlencoded',
        },
        payload: 'grant_type=client_credentials',
      })
    for (const app of [a!, b!, a!, b!]) expect((await token(app)).statusCode).toBe(200)
    for (const app of [a!, b!]) {
      const limited = await token(app)
      expect(limited.statusCode).toBe(429)
      expect(limited.json()).toEqual({ error: 'too_many_requests', error_description: expect.any(String) })
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    }
    // Per address: another source still gets tokens.
    expect((await token(b!, '10.0.0.2')).statusCode).toBe(200)
  })

  it('rate-limits admin token guesses across instances, wrong tokens included', async () => {
    const [a, b] = await instances(2, { RATE_LIMIT_LOGIN_MAX: '3' })
    const rotate = (app: FastifyInstance, token: string) =>
      app.adminApp.inject({
        method: 'GET',
        url: '/admin/keys',
        remoteAddress: '10.0.0.1',
        headers: { authorization: `Bearer ${token}` },
      })
    for (const [app, guess] of [
      [a!, 'guess-1'],
      [b!, 'guess-2'],
      [a!, 'guess-3'],
    ] as const) {
      expect((await rotate(app, guess)).statusCode).toBe(401)
    }
    const limited = await rotate(b!, 'admin-token')
    expect(limited.statusCode).toBe(429)
    expect(limited.json()).toMatchObject({ error: 'too_many_requests' })
  })
})
