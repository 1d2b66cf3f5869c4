import { describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.js'
import { ConfigError } from '../src/errors.js'

const production = {
  NODE_ENV: 'production',
  ISSUER: 'https://auth.example.com',
  WEB_CLIENT_SECRET: 'a-real-web-secret',
  ORDERS_API_CLIENT_SECRET: 'a-real-orders-secret',
  DEMO_USER_PASSWORD: 'a-real-password',
  ADMIN_TOKEN: 'a-real-admin-token',
  COOKIE_SECRET: 'c'.repeat(32),
  KEY_ENCRYPTION_SECRET: 'k'.repeat(32),
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
})
