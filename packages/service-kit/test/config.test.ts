import { describe, expect, expectTypeOf, it } from 'vitest'
import { ConfigError, httpUrl, int, logLevel, port, readConfig, Type } from '../src/config.js'

const schema = Type.Object({
  PORT: port(4000),
  ISSUER: httpUrl('an http(s) URL without query, fragment or trailing slash', {
    trailingSlash: false,
    default: 'http://localhost:4000',
  }),
  JWKS_URI: Type.Optional(httpUrl('an http(s) URL')),
  SEED: Type.Boolean({ default: true }),
  LOG_LEVEL: logLevel(),
  NAME: Type.String({ minLength: 3, description: 'a display name', default: 'demo' }),
  SECRET: Type.String({ minLength: 1, default: 'local-secret' }),
  TTL: int(1, 600, 60),
})

describe('readConfig', () => {
  it('fills in the schema defaults, typed, when nothing is set', () => {
    const config = readConfig(schema, {})
    expect(config).toEqual({
      PORT: 4000,
      ISSUER: 'http://localhost:4000',
      SEED: true,
      LOG_LEVEL: 'info',
      NAME: 'demo',
      SECRET: 'local-secret',
      TTL: 60,
    })
    expectTypeOf(config.PORT).toEqualTypeOf<number>()
    expectTypeOf(config.SEED).toEqualTypeOf<boolean>()
    expectTypeOf(config.JWKS_URI).toEqualTypeOf<string | undefined>()
  })

  it('reads only the variables the schema names, coerced to their types; empty means unset', () => {
    const config = readConfig(schema, {
      PORT: '4100',
      SEED: 'false',
      JWKS_URI: '',
      ISSUER: 'https://as.example/tenant',
      OTHER: 'x',
    })
    expect(config).toMatchObject({ PORT: 4100, SEED: false, ISSUER: 'https://as.example/tenant' })
    expect(config).not.toHaveProperty('JWKS_URI')
    expect(config).not.toHaveProperty('OTHER')
  })

  it('throws one ConfigError naming every bad variable, with the description where there is one', () => {
    const read = () =>
      readConfig(schema, { PORT: 'eighty', ISSUER: 'http://localhost:4000/', LOG_LEVEL: 'loud', NAME: 'x' })
    expect(read).toThrow(ConfigError)
    expect(read).toThrow(
      'invalid configuration: PORT must be integer; ' +
        'ISSUER must be an http(s) URL without query, fragment or trailing slash; ' +
        'LOG_LEVEL must be equal to one of the allowed values; ' +
        'NAME must NOT have fewer than 3 characters (a display name)',
    )
    try {
      read()
    } catch (error) {
      expect((error as ConfigError).problems).toHaveLength(4)
      expect((error as ConfigError).code).toBe('SERVICE_ERR_CONFIG')
    }
  })

  it('refuses URLs of another scheme, with a query, a fragment or white space', () => {
    for (const bad of ['ftp://x', 'http://x/?a=1', 'http://x/#f', 'http://x y', 'x']) {
      expect(() => readConfig(schema, { JWKS_URI: bad }), bad).toThrow(/JWKS_URI must be an http\(s\) URL/)
    }
    expect(readConfig(schema, { JWKS_URI: 'http://auth-server:4000/jwks/' }).JWKS_URI).toBe(
      'http://auth-server:4000/jwks/',
    )
  })

  describe('with NODE_ENV=production', () => {
    const rules = { required: ['ISSUER', 'SECRET'], localDefaults: ['SECRET'] } as const

    it('requires the listed variables and reports them with the schema problems, at once', () => {
      const read = () => readConfig(schema, { NODE_ENV: 'production', PORT: 'eighty' }, rules)
      expect(read).toThrow(
        'invalid configuration: PORT must be integer; NODE_ENV=production requires ISSUER, SECRET to be set',
      )
    })

    it('refuses documented local defaults, and applies none when unset', () => {
      const env = { NODE_ENV: 'production', ISSUER: 'https://as.example' }
      expect(() => readConfig(schema, { ...env, SECRET: 'local-secret' }, rules)).toThrow(
        'NODE_ENV=production refuses the documented local defaults for SECRET',
      )
      expect(readConfig(schema, { ...env, SECRET: 'a-real-secret' }, rules).SECRET).toBe('a-real-secret')
      const optional = readConfig(schema, { ...env, SECRET: 'x' }, { localDefaults: ['NAME'] })
      expect(optional).not.toHaveProperty('NAME')
    })

    it('keeps local defaults outside production', () => {
      expect(readConfig(schema, {}, rules).SECRET).toBe('local-secret')
    })
  })
})
