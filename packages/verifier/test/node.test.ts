import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type AuthenticatedRequest, createAuthMiddleware } from '@stateless-auth/verifier/node'
import { afterEach, describe, expect, it } from 'vitest'
import { sharedJwksServer, trusting } from './helpers/jwks-server.js'
import { AUDIENCE, accessClaims, signToken } from './helpers/keys.js'
import { rawGet } from './helpers/raw-http.js'

const file = sharedJwksServer('RS256')
let server: Server | undefined
afterEach(async () => {
  server?.closeAllConnections()
  await new Promise((resolve) => server?.close(resolve))
  server = undefined
})

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler)
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const token = (claims: Record<string, unknown> = {}) =>
  signToken(file.key, accessClaims(file.as.issuer, claims))

describe('node:http / Express middleware', () => {
  it('builds its own verifier from options and guards a plain node:http handler', async () => {
    const auth = createAuthMiddleware(trusting(file.as))
    let nextCalled = false
    const base = await serve(async (req, res) => {
      if (!(await auth(req as AuthenticatedRequest, res))) return
      nextCalled = true
      res.end((req as AuthenticatedRequest).auth?.client_id)
    })
    const ok = await fetch(base, { headers: { authorization: `Bearer ${token()}` } })
    expect(await ok.text()).toBe('web')
    expect(nextCalled).toBe(true)
    const bad = await fetch(base, { headers: { authorization: 'Bearer not-a-jwt' } })
    expect(bad.status).toBe(401)
    expect(bad.headers.get('www-authenticate')).toBe(
      `Bearer realm="${AUDIENCE}", error="invalid_token", error_description="The access token is not a JWS compact token"`,
    )
    expect(bad.headers.get('cache-control')).toBe('no-store')
    expect(await bad.json()).toEqual({
      error: 'invalid_token',
      error_description: 'The access token is not a JWS compact token',
    })
  })

  it('calls next() Express-style only on success and sets req.auth', async () => {
    const auth = createAuthMiddleware(trusting(file.as), { scopes: ['orders:read'], realm: 'shop' })
    const calls: string[] = []
    const base = await serve((req, res) => {
      void auth(req as AuthenticatedRequest, res, () => {
        calls.push((req as AuthenticatedRequest).auth?.sub ?? 'none')
        res.end('ok')
      })
    })
    expect((await fetch(base, { headers: { authorization: `Bearer ${token()}` } })).status).toBe(200)
    const forbidden = await fetch(base, { headers: { authorization: `Bearer ${token({ scope: 'x' })}` } })
    expect(forbidden.status).toBe(403)
    expect(forbidden.headers.get('www-authenticate')).toMatch(
      /error="insufficient_scope".*scope="orders:read"$/,
    )
    const malformed = await fetch(base, { headers: { authorization: 'Bearer a b' } })
    expect(malformed.status).toBe(400)
    expect(malformed.headers.get('www-authenticate')).toMatch(/^Bearer realm="shop", error="invalid_request"/)
    expect(calls).toEqual(['alice'])
  })

  it('refuses a request carrying two Authorization headers (RFC 6750 §3.1), even when the first is valid', async () => {
    const auth = createAuthMiddleware(trusting(file.as))
    const base = await serve(async (req, res) => {
      if (await auth(req as AuthenticatedRequest, res)) res.end('ok')
    })
    const good = `Authorization: Bearer ${token()}`
    const twice = await rawGet(base, '/', [good, 'Authorization: Bearer other'])
    expect(twice.status).toBe(400)
    expect(twice.headers['www-authenticate']).toMatch(/^Bearer realm="[^"]+", error="invalid_request"/)
    expect((await rawGet(base, '/', [good])).body).toBe('ok')
  })

  it('never writes into a response that was already started, and never throws', async () => {
    const auth = createAuthMiddleware(trusting(file.as))
    const outcomes: Array<boolean | string> = []
    const uncaught: unknown[] = []
    const onUncaught = (err: unknown) => uncaught.push(err)
    process.on('uncaughtException', onUncaught)
    try {
      const base = await serve(async (req, res) => {
        if (req.url === '/ended') res.end('answered elsewhere')
        else res.writeHead(200, { 'content-type': 'text/plain' }).write('streaming ')
        outcomes.push(await auth(req as AuthenticatedRequest, res).catch((err: Error) => err.message))
        if (!res.writableEnded && !res.destroyed) res.end('end')
      })
      expect(await (await fetch(`${base}/ended`)).text()).toBe('answered elsewhere')
      // A started 200 must not be completed as if the request were authorized: the connection is cut instead.
      await expect(fetch(`${base}/started`).then((res) => res.text())).rejects.toThrow()
      await new Promise((resolve) => setTimeout(resolve, 50))
    } finally {
      process.off('uncaughtException', onUncaught)
    }
    expect(outcomes).toEqual([false, false])
    expect(uncaught).toEqual([])
  })
})
