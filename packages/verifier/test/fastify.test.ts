import { createVerifier, errorResponse } from '@stateless-auth/verifier'
import verifierPlugin, { claimsOf, requireScopes } from '@stateless-auth/verifier/fastify'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { sharedJwksServer, trusting } from './helpers/jwks-server.js'
import { AUDIENCE, accessClaims, signToken } from './helpers/keys.js'
import { expectBearerRefusal, pluginApp } from './helpers/plugin.js'
import { rawGet } from './helpers/raw-http.js'

const file = sharedJwksServer('EdDSA')
let app: FastifyInstance
afterEach(() => app?.close())

const bearer = (claims: Record<string, unknown> = {}) => ({
  authorization: `Bearer ${signToken(file.key, accessClaims(file.as.issuer, claims))}`,
})

async function build(extra: Record<string, unknown> = {}) {
  app = await pluginApp(file.as, extra)
  app.get('/public', async (request) => ({ auth: request.auth }))
  app.get('/me', { preHandler: app.authenticate }, async (request) => ({ sub: request.auth?.sub }))
  app.get('/orders', { preHandler: requireScopes('orders:read') }, async (request) => ({
    sub: request.auth?.sub,
  }))
  app.post('/orders', { config: { auth: { scopes: ['orders:write'] } } }, async (request) => ({
    client: request.auth?.client_id,
  }))
  app.post(
    '/items',
    {
      config: { auth: { scopes: ['orders:write'] } },
      schema: { body: { type: 'object', required: ['sku'], properties: { sku: { type: 'string' } } } },
    },
    async (request) => ({ client: request.auth?.client_id }),
  )
  app.get('/any', { config: { auth: true } }, async (request) => ({ jti: request.auth?.jti }))
  await app.ready()
  return app
}

describe('Fastify plugin', () => {
  it('is named @stateless-auth/verifier and decorates verifier, authenticate, requireScopes and request.auth', async () => {
    await build()
    expect(app.hasPlugin('@stateless-auth/verifier')).toBe(true)
    expect(typeof app.authenticate).toBe('function')
    expect(typeof app.requireScopes).toBe('function')
    expect(typeof app.verifier.verify).toBe('function')
    expect((await app.inject({ url: '/public', headers: bearer() })).json()).toEqual({ auth: null })
  })

  it('route-config guards run before the body is parsed: an anonymous bad body gets 401, not 400', async () => {
    await build()
    const items = (payload: string | object, headers: Record<string, string>) =>
      app.inject({ method: 'POST', url: '/items', payload, headers })
    const anonymous = await items('{not json', { 'content-type': 'application/json' })
    expect(anonymous.statusCode).toBe(401)
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer realm=/)
    expect((await items({}, bearer({ scope: 'orders:read' }))).statusCode).toBe(403)
    expect((await items({}, bearer({ scope: 'orders:write' }))).statusCode).toBe(400)
    expect((await items({ sku: 'a' }, bearer({ scope: 'orders:write' }))).statusCode).toBe(200)
  })

  it('authenticate sets request.auth to the verified claims', async () => {
    await build()
    const res = await app.inject({ url: '/me', headers: bearer() })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ sub: 'alice' })
  })

  it('requireScopes authenticates on its own and checks the scope', async () => {
    await build()
    expect((await app.inject({ url: '/orders', headers: bearer() })).statusCode).toBe(200)
    const res = await app.inject({ url: '/orders', headers: bearer({ scope: 'inventory:read' }) })
    expectBearerRefusal(
      res,
      403,
      'insufficient_scope',
      'This request needs the scope orders:read',
      ', scope="orders:read"',
    )
  })

  it('route config auth.scopes adds authentication and the scope check', async () => {
    await build({ realm: 'orders' })
    const none = await app.inject({ method: 'POST', url: '/orders' })
    expect(none.statusCode).toBe(401)
    expect(none.headers['www-authenticate']).toBe('Bearer realm="orders"')
    const read = await app.inject({ method: 'POST', url: '/orders', headers: bearer() })
    expect(read.statusCode).toBe(403)
    const write = await app.inject({
      method: 'POST',
      url: '/orders',
      headers: bearer({ scope: 'orders:write' }),
    })
    expect(write.json()).toEqual({ client: 'web' })
    expect((await app.inject({ url: '/any', headers: bearer() })).statusCode).toBe(200)
  })

  it('answers 503 with Retry-After and no challenge when the JWKS is down, never 500', async () => {
    file.as.mode = 'down'
    try {
      await build()
      const res = await app.inject({ url: '/me', headers: bearer() })
      expect(res.statusCode).toBe(503)
      expect(res.headers['retry-after']).toMatch(/^\d+$/)
      expect(res.headers['www-authenticate']).toBeUndefined()
      expect(res.json()).toMatchObject({ error: 'temporarily_unavailable' })
    } finally {
      file.as.mode = 'ok'
    }
  })

  it('serves repeated tokens from the verified-token cache when enabled', async () => {
    await build({ cache: { max: 100 } })
    const headers = bearer()
    for (let i = 0; i < 3; i++) expect((await app.inject({ url: '/me', headers })).statusCode).toBe(200)
    expect(app.verifier.stats()).toMatchObject({ verified: 3, tokenCacheHits: 2 })
  })

  it('fails registration on invalid options, before any request', async () => {
    app = Fastify()
    app.register(verifierPlugin, {
      issuer: file.as.issuer,
      audience: AUDIENCE,
      algorithms: ['HS256' as 'RS256'],
    })
    await expect(app.ready()).rejects.toMatchObject({ code: 'VERIFIER_ERR_INVALID_OPTIONS' })
  })

  it('accepts a shared verifier and leaves closing it to its owner', async () => {
    const verifier = createVerifier(trusting(file.as))
    await build({ verifier })
    await app.close()
    await expect(verifier.verify(bearer().authorization.slice(7))).resolves.toMatchObject({ sub: 'alice' })
    await verifier.close()
  })

  it('protects a route that declares config.auth even when it was added before the plugin', async () => {
    app = Fastify()
    app.get('/early', { config: { auth: { scopes: ['orders:read'] } } }, async () => ({ secret: 1 }))
    await app.register(async (child) => {
      child.get('/early-child', { config: { auth: true } }, async () => ({ secret: 2 }))
    })
    await app.register(verifierPlugin, trusting(file.as))
    await app.ready()
    for (const url of ['/early', '/early-child']) {
      const anonymous = await app.inject({ url })
      expect(anonymous.statusCode, url).toBe(401)
      expect(anonymous.headers['www-authenticate'], url).toBe(`Bearer realm="${AUDIENCE}"`)
    }
    const readOnly = await app.inject({ url: '/early', headers: bearer({ scope: 'orders:write' }) })
    expect(readOnly.statusCode).toBe(403)
    expect((await app.inject({ url: '/early', headers: bearer() })).json()).toEqual({ secret: 1 })
    expect((await app.inject({ url: '/early-child', headers: bearer() })).json()).toEqual({ secret: 2 })
  })

  it('continues synchronously on a verified-token cache hit, and gives a promise to a caller without done', async () => {
    app = await pluginApp(file.as, { cache: { max: 10 } })
    const synchronous: boolean[] = []
    app.get(
      '/sync',
      {
        preHandler(request, reply, done) {
          let returned = false
          app.authenticate(request, reply, (err?: Error) => {
            synchronous.push(!returned)
            done(err)
          })
          returned = true
        },
      },
      async (request) => ({ sub: request.auth?.sub ?? null }),
    )
    app.get('/promise', async (request, reply) => {
      const pending = app.authenticate(request, reply)
      await pending
      return { promise: pending instanceof Promise, sub: request.auth?.sub }
    })
    await app.ready()
    await app.verifier.ready()
    const headers = bearer()
    // The first time, the signature is checked on the thread pool; the second time, the cache answers at once.
    expect((await app.inject({ url: '/sync', headers })).json()).toEqual({ sub: 'alice' })
    expect((await app.inject({ url: '/sync', headers })).json()).toEqual({ sub: 'alice' })
    expect(synchronous).toEqual([false, true])
    expect((await app.inject({ url: '/promise', headers: bearer() })).json()).toEqual({
      promise: true,
      sub: 'alice',
    })
  })

  it('claimsOf(request) returns the verified claims, and answers 401 with a challenge on a route without a guard', async () => {
    app = await pluginApp(file.as, { realm: 'r' })
    app.setErrorHandler((err, _request, reply) => {
      const { statusCode, headers, body } = errorResponse(err, { realm: 'r' })
      return reply.code(statusCode).headers(headers).send(body)
    })
    app.get('/me', { config: { auth: true } }, async (request) => ({ sub: claimsOf(request).sub }))
    app.get('/forgot-guard', async (request) => ({ sub: claimsOf(request).sub }))
    await app.ready()
    const good = await app.inject({ url: '/me', headers: bearer() })
    expect(good.json()).toEqual({ sub: 'alice' })
    const unguarded = await app.inject({ url: '/forgot-guard', headers: bearer() })
    expect(unguarded.statusCode).toBe(401)
    expect(unguarded.headers['www-authenticate']).toBe('Bearer realm="r"')
    expect(unguarded.json()).toEqual({
      error: 'invalid_request',
      error_description: 'This request was not authenticated',
    })
    expect(() => claimsOf({ auth: null } as never)).toThrow(
      expect.objectContaining({ code: 'VERIFIER_ERR_NO_CREDENTIALS', statusCode: 401 }),
    )
  })

  it('no longer registers @fastify/jwt: request.jwtVerify() is gone, request.auth is ours', async () => {
    app = await pluginApp(file.as)
    expect(app.hasPlugin('@fastify/jwt')).toBe(false)
    app.get('/probe', async (request) => ({
      jwtVerify: typeof (request as unknown as { jwtVerify?: unknown }).jwtVerify,
      auth: request.auth,
    }))
    expect((await app.inject({ url: '/probe' })).json()).toEqual({ jwtVerify: 'undefined', auth: null })
  })

  it('refuses a request carrying two Authorization headers (RFC 6750 §3.1), even when the first is valid', async () => {
    await build()
    const origin = await app.listen({ port: 0, host: '127.0.0.1' })
    const good = bearer().authorization
    const twice = await rawGet(origin, '/me', [`Authorization: ${good}`, 'Authorization: Bearer other'])
    expect(twice.status).toBe(400)
    expect(twice.headers['www-authenticate']).toMatch(/^Bearer realm="[^"]+", error="invalid_request"/)
    expect(JSON.parse(twice.body)).toEqual({
      error: 'invalid_request',
      error_description: 'Only one Authorization header may be sent',
    })
    expect((await rawGet(origin, '/me', [`Authorization: ${good}`])).status).toBe(200)
  })
})
