import { ConfigError, readConfig, Type } from '@stateless-auth/service-kit/config'
import { describe, expect, it } from 'vitest'
import { resourceServerConfig, resourceServerEnv } from '../src/index.js'

const defaults = { port: 4002, audience: 'urn:stateless-auth:inventory-api', databaseUrl: '/tmp/x.sqlite' }
const schema = Type.Object(resourceServerEnv(defaults))
const loadResourceServerConfig = (env: NodeJS.ProcessEnv) => resourceServerConfig(readConfig(schema, env))

describe('resource-server config', () => {
  it('has local defaults from DESIGN.md', () => {
    const config = loadResourceServerConfig({})
    expect(config).toMatchObject({
      port: 4002,
      host: '127.0.0.1',
      issuer: 'http://localhost:4000',
      audience: 'urn:stateless-auth:inventory-api',
      jwksUri: undefined,
      databaseUrl: '/tmp/x.sqlite',
      verifier: {
        cooldown: 30_000,
        refreshInterval: 300_000,
        cache: { max: 10_000 },
        status: { maxStale: 300 },
        dpop: { mode: 'allowed' },
      },
    })
  })

  it('reads the DPoP mode, the public URL and the nonce secret', () => {
    const config = loadResourceServerConfig({
      DPOP: 'required',
      PUBLIC_URL: 'https://api.example.com/inventory',
      DPOP_NONCE_SECRET: 'x'.repeat(32),
    })
    expect(config.verifier.dpop).toEqual({
      mode: 'required',
      publicUrl: 'https://api.example.com/inventory',
      nonce: { secret: 'x'.repeat(32) },
    })
  })

  it('lets the operator turn the token cache and status checking off', () => {
    const config = loadResourceServerConfig({
      TOKEN_CACHE: 'false',
      STATUS_LIST_CHECK: 'false',
    })
    expect(config.verifier).toMatchObject({ cache: false, status: false })
    expect(loadResourceServerConfig({ STATUS_LIST_MAX_STALE: '30' }).verifier.status).toEqual({
      maxStale: 30,
    })
    expect(() => loadResourceServerConfig({ STATUS_LIST_CHECK: 'maybe' })).toThrow()
  })

  it('reads the internal base URL for status lists (STATUS_LIST_URL), as JWKS_URI for keys', () => {
    expect(loadResourceServerConfig({ STATUS_LIST_URL: 'http://auth-server:4000' }).verifier.status).toEqual({
      maxStale: 300,
      fetchBase: 'http://auth-server:4000',
    })
    expect(() => loadResourceServerConfig({ STATUS_LIST_URL: 'http://auth-server:4000/' })).toThrow(
      'STATUS_LIST_URL must be an http(s) base URL without trailing slash',
    )
    expect(
      loadResourceServerConfig({ STATUS_LIST_URL: 'http://auth-server:4000', STATUS_LIST_CHECK: 'false' })
        .verifier.status,
    ).toBe(false)
  })

  it('reads and coerces the environment', () => {
    const config = loadResourceServerConfig({
      PORT: '5000',
      ISSUER: 'https://as.example',
      JWKS_URI: 'http://auth-server:4000/jwks',
      AUDIENCE: 'urn:x',
    })
    expect(config).toMatchObject({ port: 5000, issuer: 'https://as.example', audience: 'urn:x' })
    expect(config.jwksUri).toBe('http://auth-server:4000/jwks')
  })

  it('stops at boot with one message naming every bad variable', () => {
    const load = () =>
      loadResourceServerConfig({ PORT: 'eighty', ISSUER: 'http://localhost:4000/', JWKS_URI: 'ftp://x' })
    expect(load).toThrow(ConfigError)
    expect(load).toThrow(
      'invalid configuration: PORT must be integer; ' +
        'ISSUER must be the public issuer URL without query, fragment or trailing slash, e.g. http://localhost:4000; ' +
        'JWKS_URI must be an http(s) URL',
    )
  })
})
