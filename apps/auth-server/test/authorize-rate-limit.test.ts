import { backends } from '@stateless-auth/sql/testing'
import type { FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { freshStores, WEB_REDIRECT } from './helpers.js'

const QUERY = new URLSearchParams({
  response_type: 'code',
  client_id: 'web',
  redirect_uri: WEB_REDIRECT,
  scope: 'openid',
  code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
  code_challenge_method: 'S256',
}).toString()

// Issue 12, item 12: 300 /authorize requests in 0.4 s were all served, each able to create a grant.
describe.each(backends())('/authorize rate limit on %s', (backend) => {
  const newStore = freshStores(backend)
  const apps: FastifyInstance[] = []
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()))
  })

  it('limits GET and POST /authorize together per source address, shared by two instances', async () => {
    const store = await newStore()
    const config = loadConfig({
      DATABASE_URL: store.url,
      ISSUER: 'http://127.0.0.1:4000',
      RATE_LIMIT_AUTHORIZE_MAX: '4',
    })
    for (let i = 0; i < 2; i++) apps.push(await buildApp(config))
    const [a, b] = apps as [FastifyInstance, FastifyInstance]
    const get = (app: FastifyInstance, remoteAddress: string) =>
      app.inject({ url: `/authorize?${QUERY}`, remoteAddress })
    const postForm = (app: FastifyInstance, remoteAddress: string) =>
      app.inject({
        method: 'POST',
        url: '/authorize',
        remoteAddress,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: QUERY,
      })
    expect((await get(a, '10.1.1.1')).statusCode).toBe(200)
    expect((await postForm(b, '10.1.1.1')).statusCode).toBe(200)
    expect((await get(b, '10.1.1.1')).statusCode).toBe(200)
    expect((await postForm(a, '10.1.1.1')).statusCode).toBe(200)
    const limited = await get(a, '10.1.1.1')
    expect(limited.statusCode).toBe(429)
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    expect((await postForm(b, '10.1.1.1')).statusCode).toBe(429)
    // Another source is not affected.
    expect((await get(b, '10.2.2.2')).statusCode).toBe(200)
  })
})
