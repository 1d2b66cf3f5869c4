import { describe, expect, it } from 'vitest'
import { EnvError, httpUrl, int, logLevel, readEnv } from '../src/env.js'

const schema = {
  PORT: int(0, 65535),
  ISSUER: httpUrl('an http(s) URL without query, fragment or trailing slash', { trailingSlash: false }),
  JWKS_URI: httpUrl('an http(s) URL'),
  SEED: { type: 'boolean' },
  LOG_LEVEL: logLevel,
  NAME: { type: 'string', minLength: 3, description: 'a display name' },
}

describe('readEnv', () => {
  it('reads only the variables the schema names, coerced to their types; empty means unset', () => {
    const input = readEnv(
      { PORT: '4100', SEED: 'false', JWKS_URI: '', ISSUER: 'https://as.example/tenant', OTHER: 'x' },
      schema,
    )
    expect(input).toEqual({ PORT: 4100, SEED: false, ISSUER: 'https://as.example/tenant' })
  })

  it('throws one EnvError naming every bad variable, with the description where there is one', () => {
    const read = () =>
      readEnv({ PORT: 'eighty', ISSUER: 'http://localhost:4000/', LOG_LEVEL: 'loud', NAME: 'x' }, schema)
    expect(read).toThrow(EnvError)
    expect(read).toThrow(
      'invalid configuration: PORT must be integer; ' +
        'ISSUER must be an http(s) URL without query, fragment or trailing slash; ' +
        'LOG_LEVEL must be equal to one of the allowed values; ' +
        'NAME must NOT have fewer than 3 characters (a display name)',
    )
  })

  it('throws the caller’s own error when given one', () => {
    class ConfigError extends Error {}
    const read = () => readEnv({ PORT: '70000' }, schema, (problems) => new ConfigError(problems.join('|')))
    expect(read).toThrow(ConfigError)
    expect(read).toThrow(/^PORT must be <= 65535$/)
  })

  it('refuses URLs of another scheme, with a query, a fragment or white space', () => {
    for (const bad of ['ftp://x', 'http://x/?a=1', 'http://x/#f', 'http://x y', 'x']) {
      expect(() => readEnv({ JWKS_URI: bad }, schema), bad).toThrow(/JWKS_URI must be an http\(s\) URL/)
    }
    expect(readEnv({ JWKS_URI: 'http://auth-server:4000/jwks/' }, schema).JWKS_URI).toBe(
      'http://auth-server:4000/jwks/',
    )
  })
})
