import { describe, expect, it } from 'vitest'
import { LOCAL_DEFAULTS, loadConfig } from '../src/config.js'

describe('configuration from the environment', () => {
  it('uses the documented local defaults outside production', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({
      port: 3000,
      publicUrl: 'http://localhost:3000',
      publicIssuer: 'http://localhost:4000',
      internalIssuer: 'http://localhost:4000',
      clientId: 'web',
      clientSecret: LOCAL_DEFAULTS.CLIENT_SECRET,
      sessionSecret: LOCAL_DEFAULTS.SESSION_SECRET,
      ordersApiUrl: 'http://localhost:4001',
      inventoryApiUrl: 'http://localhost:4002',
      controlUrl: undefined,
      adminUrl: 'http://127.0.0.1:4003',
    })
    expect(config.databaseUrl).toMatch(/apps\/web\/data\/web\.sqlite$/)
  })

  it('keeps the internal issuer apart from the public one (containers)', () => {
    const config = loadConfig({
      PUBLIC_ISSUER: 'http://localhost:4000',
      INTERNAL_ISSUER: 'http://auth-server:4000',
    })
    expect(config.publicIssuer).toBe('http://localhost:4000')
    expect(config.internalIssuer).toBe('http://auth-server:4000')
  })

  it('requires real secrets in production and refuses the local ones', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /NODE_ENV=production requires CLIENT_SECRET, SESSION_SECRET, PUBLIC_URL, PUBLIC_ISSUER/,
    )
    const prod = {
      NODE_ENV: 'production',
      PUBLIC_URL: 'https://demo.example',
      PUBLIC_ISSUER: 'https://auth.example',
      CLIENT_SECRET: 'a-real-secret',
      SESSION_SECRET: LOCAL_DEFAULTS.SESSION_SECRET,
    }
    expect(() => loadConfig(prod)).toThrow(/refuses the documented local defaults for SESSION_SECRET/)
    const ok = loadConfig({ ...prod, SESSION_SECRET: 'x'.repeat(40) })
    expect(ok.adminToken).toBeUndefined()
  })

  it('refuses ADMIN_TOKEN in production unless DEMO_EXPERIMENTS=true, and says why (issue 12, item 1)', () => {
    const prod = {
      NODE_ENV: 'production',
      PUBLIC_URL: 'https://demo.example',
      PUBLIC_ISSUER: 'https://auth.example',
      CLIENT_SECRET: 'a-real-secret',
      SESSION_SECRET: 'x'.repeat(40),
      ADMIN_TOKEN: 'y'.repeat(40),
    }
    expect(() => loadConfig(prod)).toThrow(
      /refuses ADMIN_TOKEN: it is the auth-server operator credential.*DEMO_EXPERIMENTS=true/,
    )
    expect(() => loadConfig({ ...prod, DEMO_EXPERIMENTS: 'false' })).toThrow(/refuses ADMIN_TOKEN/)
    expect(loadConfig({ ...prod, DEMO_EXPERIMENTS: 'true' }).adminToken).toBe('y'.repeat(40))
  })

  it('explains invalid values', () => {
    expect(() => loadConfig({ PUBLIC_ISSUER: 'http://localhost:4000/' })).toThrow(
      'invalid configuration: PUBLIC_ISSUER must be an http(s) URL without query, fragment or trailing slash',
    )
    expect(() => loadConfig({ ORDERS_API_URL: 'http://orders api:4001' })).toThrow(/ORDERS_API_URL must be/)
    expect(() => loadConfig({ SESSION_SECRET: 'short' })).toThrow(
      /SESSION_SECRET must NOT have fewer than 32/,
    )
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT must be integer/)
    expect(() => loadConfig({ DEMO_CONTROL_URL: 'http://127.0.0.1:9' })).toThrow(/go together/)
  })
})
