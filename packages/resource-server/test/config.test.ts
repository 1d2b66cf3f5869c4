import { describe, expect, it } from 'vitest'
import { ConfigError, loadResourceServerConfig } from '../src/index.js'

const defaults = { port: 4002, audience: 'urn:stateless-auth:inventory-api', databaseUrl: '/tmp/x.sqlite' }

describe('resource-server config', () => {
  it('has local defaults from DESIGN.md', () => {
    const config = loadResourceServerConfig({}, defaults)
    expect(config).toMatchObject({
      port: 4002,
      host: '127.0.0.1',
      issuer: 'http://localhost:4000',
      audience: 'urn:stateless-auth:inventory-api',
      jwksUri: undefined,
      databaseUrl: '/tmp/x.sqlite',
      verifier: { cooldown: 30_000, refreshInterval: 300_000 },
    })
  })

  it('reads and coerces the environment', () => {
    const config = loadResourceServerConfig(
      {
        PORT: '5000',
        ISSUER: 'https://as.example',
        JWKS_URI: 'http://auth-server:4000/jwks',
        AUDIENCE: 'urn:x',
      },
      defaults,
    )
    expect(config).toMatchObject({ port: 5000, issuer: 'https://as.example', audience: 'urn:x' })
    expect(config.jwksUri).toBe('http://auth-server:4000/jwks')
  })

  it('stops at boot with one message naming every bad variable', () => {
    const load = () =>
      loadResourceServerConfig(
        { PORT: 'eighty', ISSUER: 'http://localhost:4000/', JWKS_URI: 'ftp://x' },
        defaults,
      )
    expect(load).toThrow(ConfigError)
    expect(load).toThrow(
      'invalid configuration: PORT must be integer; ' +
        'ISSUER must be the public issuer URL without query, fragment or trailing slash, e.g. http://localhost:4000; ' +
        'JWKS_URI must be an http(s) URL',
    )
  })
})
