import { createServer, type Server } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BenchIssuer } from '../src/issuer.js'
import {
  buildTarget,
  RESOURCE_BODY,
  RESOURCE_PATH,
  type TargetConfig,
  type TargetMode,
} from '../src/targets.js'

const AUDIENCE = 'urn:stateless-auth:inventory-api'
let issuer: BenchIssuer
const apps: FastifyInstance[] = []

beforeAll(async () => {
  issuer = await BenchIssuer.start()
})
afterAll(() => issuer.close())
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

async function target(mode: TargetMode, extra: Partial<TargetConfig> = {}) {
  const app = await buildTarget({
    mode,
    issuer: issuer.url,
    audience: AUDIENCE,
    jwksUri: issuer.jwksUri,
    algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
    cacheMax: 100,
    ...extra,
  })
  apps.push(app)
  return app
}

const get = (app: FastifyInstance, token?: string) =>
  app.inject({
    method: 'GET',
    url: RESOURCE_PATH,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  })

describe('the rows of the resource-cost table guard the same route with the same JSON', () => {
  it('answers the ceiling row without any token', async () => {
    const response = await get(await target('none'))
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual(RESOURCE_BODY)
  })

  // get-jwks converts JWKs to PEM with jwk-to-pem, which has no OKP keys: the recipe cannot verify EdDSA at all.
  // Scenario 1 runs on RS256, so the row still compares like with like.
  const cases = [
    { mode: 'verifier', algs: ['RS256', 'PS256', 'ES256', 'EdDSA'] },
    { mode: 'verifier-cache', algs: ['RS256', 'PS256', 'ES256', 'EdDSA'] },
    { mode: 'jose', algs: ['RS256', 'PS256', 'ES256', 'EdDSA'] },
    { mode: 'fastify-jwt', algs: ['RS256', 'PS256', 'ES256'] },
  ] as const
  for (const { mode, algs } of cases) {
    it(`${mode}: accepts valid ${algs.join('/')} tokens and refuses missing, forged and foreign tokens`, async () => {
      const app = await target(mode)
      for (const alg of algs) {
        const ok = await get(app, issuer.token(alg, AUDIENCE))
        expect(ok.statusCode, alg).toBe(200)
        expect(ok.json()).toEqual(RESOURCE_BODY)
      }
      const valid = issuer.token('RS256', AUDIENCE)
      const forged = `${valid.slice(0, -4)}${valid.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`
      expect((await get(app)).statusCode).toBe(401)
      expect((await get(app, forged)).statusCode).toBe(401)
      expect((await get(app, issuer.token('RS256', 'urn:stateless-auth:orders-api'))).statusCode).toBe(401)
      expect((await get(app, issuer.token('RS256', AUDIENCE, -60))).statusCode).toBe(401)
    })
  }

  it('fastify-jwt: the get-jwks recipe refuses EdDSA tokens (jwk-to-pem has no OKP support)', async () => {
    const app = await target('fastify-jwt')
    expect((await get(app, issuer.token('EdDSA', AUDIENCE))).statusCode).toBe(401)
  })

  it('signature-only: checks the RS256 signature and nothing else (the floor row, not a verifier)', async () => {
    const app = await target('signature-only')
    const valid = issuer.token('RS256', AUDIENCE)
    expect((await get(app, valid)).json()).toEqual(RESOURCE_BODY)
    const forged = `${valid.slice(0, -4)}${valid.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`
    expect((await get(app, forged)).statusCode).toBe(401)
    expect((await get(app)).statusCode).toBe(401)
    expect((await get(app, issuer.token('ES256', AUDIENCE))).statusCode).toBe(401)
    // What makes it a floor rather than a verifier: claims are not looked at.
    expect((await get(app, issuer.token('RS256', AUDIENCE, -60))).statusCode).toBe(200)
  })

  describe('introspection row (RFC 7662)', () => {
    let introspection: Server
    let url: string
    const calls: string[] = []
    beforeAll(async () => {
      introspection = createServer((request, response) => {
        let body = ''
        request.on('data', (chunk) => (body += chunk))
        request.on('end', () => {
          calls.push(`${request.headers.authorization} ${body}`)
          const token = new URLSearchParams(body).get('token')
          if (token === 'down') return response.writeHead(500).end()
          const active = token === 'good' || token === 'other-audience'
          const aud = token === 'good' ? AUDIENCE : 'urn:elsewhere'
          response.writeHead(200, { 'content-type': 'application/json' })
          response.end(JSON.stringify(active ? { active, aud } : { active: false }))
        })
      })
      await new Promise<void>((resolve) => introspection.listen(0, '127.0.0.1', resolve))
      url = `http://127.0.0.1:${(introspection.address() as { port: number }).port}/introspect`
    })
    afterAll(() => new Promise<void>((resolve) => introspection.close(() => resolve())))

    it('asks on every request as a confidential client and trusts only active tokens for our audience', async () => {
      const app = await target('introspection', {
        introspection: { url, clientId: 'orders-api', clientSecret: 's3cret' },
      })
      expect((await get(app, 'good')).json()).toEqual(RESOURCE_BODY)
      expect((await get(app, 'good')).statusCode).toBe(200)
      expect(calls).toHaveLength(2)
      expect(calls[0]).toBe(
        `Basic ${Buffer.from('orders-api:s3cret').toString('base64')} token=good&token_type_hint=access_token`,
      )
      expect((await get(app, 'revoked')).statusCode).toBe(401)
      expect((await get(app, 'other-audience')).statusCode).toBe(401)
      expect((await get(app, 'down')).statusCode).toBe(503)
      expect((await get(app)).statusCode).toBe(401)
      expect(calls).toHaveLength(5)
    })
  })
})
