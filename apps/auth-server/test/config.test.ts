import { randomBytes } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { ConfigError } from '../src/errors.js'

const strong = () => randomBytes(32).toString('base64url')

/** A clients file as a production deployment writes it: https redirect URIs, loopback only for the native client. */
function clientsFile(webRedirect = 'https://app.example.com/auth/callback') {
  const file = join(mkdtempSync(join(tmpdir(), 'auth-config-')), 'clients.json')
  const common = {
    grant_types: ['authorization_code', 'refresh_token'],
    scopes: ['openid'],
    resources: ['urn:stateless-auth:orders-api'],
  }
  writeFileSync(
    file,
    JSON.stringify({
      clients: [
        {
          client_id: 'web',
          client_name: 'web',
          token_endpoint_auth_methods: ['client_secret_basic'],
          redirect_uris: [webRedirect],
          post_logout_redirect_uris: ['https://app.example.com/'],
          ...common,
        },
        {
          client_id: 'demo-cli',
          client_name: 'cli',
          token_endpoint_auth_methods: ['none'],
          redirect_uris: ['http://127.0.0.1/callback'],
          ...common,
        },
      ],
    }),
  )
  return file
}

const production = {
  NODE_ENV: 'production',
  ISSUER: 'https://auth.example.com',
  CLIENTS_FILE: clientsFile(),
  WEB_CLIENT_SECRET: strong(),
  ORDERS_API_CLIENT_SECRET: strong(),
  DEMO_USER_PASSWORD: 'a-real-password',
  ADMIN_TOKEN: strong(),
  COOKIE_SECRET: strong(),
  KEY_ENCRYPTION_SECRET: strong(),
}

describe('configuration from the environment', () => {
  it('uses the documented local defaults outside production', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({
      production: false,
      port: 4000,
      issuer: 'http://localhost:4000',
      accessTokenTtl: 300,
      webClientSecret: 'web-secret',
      ordersApiClientSecret: 'orders-api-secret',
      demoUserPassword: 'demo-password',
      adminToken: 'admin-token',
      signingAlg: 'RS256',
      keyRotationInterval: 0,
    })
    expect(config.databaseUrl).toMatch(/apps\/auth-server\/data\/auth-server\.sqlite$/)
  })

  it('coerces and validates values with clear messages', () => {
    expect(loadConfig({ PORT: '4100', ACCESS_TOKEN_TTL: '60' })).toMatchObject({
      port: 4100,
      accessTokenTtl: 60,
    })
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT must be integer/)
    expect(() => loadConfig({ SIGNING_ALG: 'HS256' })).toThrow(
      /SIGNING_ALG must be equal to one of the allowed values/,
    )
    for (const issuer of ['http://localhost:4000/', 'http://localhost:4000?x=1', 'http://local host:4000']) {
      expect(() => loadConfig({ ISSUER: issuer }), issuer).toThrow(
        'invalid configuration: ISSUER must be an http(s) URL without query, fragment or trailing slash',
      )
    }
    expect(() => loadConfig({ ACCESS_TOKEN_TTL: '0' })).toThrow(ConfigError)
  })

  it('requires every secret in production and names the missing ones', () => {
    expect(loadConfig(production).production).toBe(true)
    const { ADMIN_TOKEN: _a, KEY_ENCRYPTION_SECRET: _k, ...missing } = production
    expect(() => loadConfig(missing)).toThrow(
      'NODE_ENV=production requires ADMIN_TOKEN, KEY_ENCRYPTION_SECRET to be set',
    )
    const { ISSUER: _i, ...noIssuer } = production
    expect(() => loadConfig(noIssuer)).toThrow(/requires ISSUER/)
  })

  it('refuses the local default secrets in production', () => {
    expect(() => loadConfig({ ...production, WEB_CLIENT_SECRET: 'web-secret' })).toThrow(
      'NODE_ENV=production refuses the documented local defaults for WEB_CLIENT_SECRET',
    )
  })

  // Issue 12, item 7: the review started a production server with one-character secrets, an http issuer, demo
  // users, KEY_ROTATION_INTERVAL=1 and JWKS_MAX_AGE=0.
  it('refuses weak production settings, naming every problem in one error', () => {
    const weak = {
      ...production,
      ISSUER: 'http://auth.example.com',
      CLIENTS_FILE: clientsFile('http://app.example.com/auth/callback'),
      WEB_CLIENT_SECRET: 'w',
      ADMIN_TOKEN: 'a',
      COOKIE_SECRET: 'c'.repeat(32),
      KEY_ROTATION_INTERVAL: '1',
      JWKS_MAX_AGE: '0',
    }
    let message = ''
    try {
      loadConfig(weak)
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      message = (error as Error).message
    }
    for (const expected of [
      'KEY_ROTATION_INTERVAL (1 s) must be 0 (off) or at least',
      'WEB_CLIENT_SECRET must be at least 43 characters',
      'ADMIN_TOKEN must be at least 43 characters',
      'COOKIE_SECRET must be at least 43 characters',
      'ISSUER must be an https URL',
      'JWKS_MAX_AGE must be above 0',
      'client web: redirect URI http://app.example.com/auth/callback must be https',
    ]) {
      expect(message).toContain(expected)
    }
    // The native client's loopback http redirect is allowed; outside production none of this applies.
    expect(message).not.toContain('demo-cli')
    const { NODE_ENV: _n, ...development } = weak
    expect(() => loadConfig(development)).toThrow(/KEY_ROTATION_INTERVAL/)
    expect(() => loadConfig({ ...development, KEY_ROTATION_INTERVAL: '0' })).not.toThrow()
  })

  it('refuses the shipped clients.json (http redirect URIs) in production', () => {
    const { CLIENTS_FILE: _c, ...shipped } = production
    expect(() => loadConfig(shipped)).toThrow(
      /client web: redirect URI http:\/\/localhost:3000\/auth\/callback/,
    )
  })

  it('seeds demo users in production only when SEED_DEMO_USERS=true is set', () => {
    expect(loadConfig(production).seedDemoUsers).toBe(false)
    expect(loadConfig({ ...production, SEED_DEMO_USERS: 'true' }).seedDemoUsers).toBe(true)
    expect(loadConfig({}).seedDemoUsers).toBe(true)
  })

  it('sets __Host- Secure cookies and HSTS when the issuer is https', async () => {
    const app = await buildApp(loadConfig({ ISSUER: 'https://auth.example.com', DATABASE_URL: ':memory:' }))
    try {
      const query = new URLSearchParams({
        response_type: 'code',
        client_id: 'web',
        redirect_uri: 'http://localhost:3000/auth/callback',
        scope: 'openid',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      })
      const page = await app.inject({ url: `/authorize?${query}` })
      expect(page.statusCode).toBe(200)
      expect(page.headers['strict-transport-security']).toMatch(/max-age=\d+/)
      const csrf = page.cookies.find((c) => c.name === '__Host-_csrf')
      expect(csrf).toMatchObject({ secure: true, path: '/', httpOnly: true })
      expect(csrf?.domain).toBeUndefined()
    } finally {
      await app.close()
    }
  })
})
