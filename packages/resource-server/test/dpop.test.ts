import { DpopKey } from '@stateless-auth/dpop-client'
import { readConfig, Type } from '@stateless-auth/service-kit/config'
import { claimsOf } from '@stateless-auth/verifier/fastify'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resourceServer, resourceServerConfig, resourceServerEnv } from '../src/index.js'
import { startTestIssuer, type TestIssuer } from '../src/testing.js'

// DPoP (RFC 9449) as a resource server built on this package answers it over HTTP, with the variables an operator
// sets: `DPOP` (default `allowed`) and `PUBLIC_URL` (the URL clients use, which a proof's `htu` names).

const AUDIENCE = 'urn:stateless-auth:test-api'
const schema = Type.Object(
  resourceServerEnv({ port: 0, audience: AUDIENCE, databaseUrl: '/tmp/unused.sqlite' }),
)

async function api(
  issuer: TestIssuer,
  env: NodeJS.ProcessEnv,
): Promise<{ app: FastifyInstance; url: string }> {
  const config = resourceServerConfig(readConfig(schema, { ISSUER: issuer.url, LOG_LEVEL: 'silent', ...env }))
  const app = Fastify()
  await app.register(resourceServer, {
    config: { ...config, verifier: { ...config.verifier, status: false } },
    realm: 'test-api',
    docs: { title: 'test', description: 'test', version: '0', scopes: { 'things:read': 'read things' } },
  })
  app.get('/things', { config: { auth: { scopes: ['things:read'] } } }, async (request) => ({
    sub: claimsOf(request).sub,
  }))
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, url }
}

describe('resource server with DPoP', () => {
  let issuer: TestIssuer
  let allowed: { app: FastifyInstance; url: string }
  const key = DpopKey.generate()
  let bound: string

  beforeAll(async () => {
    issuer = await startTestIssuer({ audience: AUDIENCE, alg: 'ES256' })
    allowed = await api(issuer, {})
    bound = await issuer.token({ scope: 'things:read', cnf: { jkt: key.jkt } })
  })
  afterAll(async () => {
    await allowed.app.close()
    await issuer.close()
  })

  const get = (base: string, headers: Record<string, string>) => fetch(`${base}/things`, { headers })

  it('is on (allowed) by default: a bound token with a valid proof gets 200', async () => {
    const url = `${allowed.url}/things`
    const res = await get(allowed.url, {
      authorization: `DPoP ${bound}`,
      dpop: key.proof({ method: 'GET', url, accessToken: bound }),
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ sub: 'alice' })
  })

  it('refuses the same token as Bearer with 401 and both challenges', async () => {
    const res = await get(allowed.url, { authorization: `Bearer ${bound}` })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="test-api", error="invalid_token", error_description="A DPoP-bound token must be sent with the DPoP scheme", ' +
        'DPoP realm="test-api", algs="ES256 EdDSA PS256 RS256"',
    )
    expect(await res.json()).toEqual({
      error: 'invalid_token',
      error_description: 'A DPoP-bound token must be sent with the DPoP scheme',
    })
  })

  it('still accepts an unbound Bearer token in allowed mode', async () => {
    const plain = await issuer.token({ scope: 'things:read' })
    expect((await get(allowed.url, { authorization: `Bearer ${plain}` })).status).toBe(200)
  })

  it('DPOP=required refuses plain Bearer, with the DPoP challenge only', async () => {
    const required = await api(issuer, { DPOP: 'required' })
    try {
      const plain = await issuer.token({ scope: 'things:read' })
      const res = await get(required.url, { authorization: `Bearer ${plain}` })
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toMatch(
        /^DPoP realm="test-api", algs="[^"]+", error="invalid_token"/,
      )
    } finally {
      await required.app.close()
    }
  })

  it('DPOP=disabled answers a DPoP request with the Bearer challenge only', async () => {
    const disabled = await api(issuer, { DPOP: 'disabled' })
    try {
      const url = `${disabled.url}/things`
      const res = await get(disabled.url, {
        authorization: `DPoP ${bound}`,
        dpop: key.proof({ method: 'GET', url, accessToken: bound }),
      })
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="test-api"/)
      expect(res.headers.get('www-authenticate')).not.toContain('DPoP')
    } finally {
      await disabled.app.close()
    }
  })

  it('checks htu against PUBLIC_URL: a proof for the proxy URL passes, one for the direct URL fails', async () => {
    const behindProxy = await api(issuer, { PUBLIC_URL: 'https://api.example.com/test' })
    try {
      const proxied = behindProxy.url
      const ok = await get(proxied, {
        authorization: `DPoP ${bound}`,
        dpop: key.proof({ method: 'GET', url: 'https://api.example.com/test/things', accessToken: bound }),
      })
      expect(ok.status).toBe(200)
      const direct = await get(proxied, {
        authorization: `DPoP ${bound}`,
        dpop: key.proof({ method: 'GET', url: `${proxied}/things`, accessToken: bound }),
      })
      expect(direct.status).toBe(401)
      expect(direct.headers.get('www-authenticate')).toContain('error="invalid_dpop_proof"')
    } finally {
      await behindProxy.app.close()
    }
  })

  it('refuses bad values of the variables at boot', () => {
    expect(() => readConfig(schema, { DPOP: 'sometimes' })).toThrow(/DPOP/)
    expect(() => readConfig(schema, { PUBLIC_URL: 'https://api.example.com/' })).toThrow(/PUBLIC_URL/)
    expect(() => readConfig(schema, { DPOP_NONCE_SECRET: 'short' })).toThrow(/DPOP_NONCE_SECRET/)
  })
})
