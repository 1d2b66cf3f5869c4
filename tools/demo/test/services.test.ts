import { afterEach, describe, expect, it, vi } from 'vitest'
import { DEFAULT_PORTS, serviceEnv, serviceSpecs } from '../src/services.js'

const settings = { accessTokenTtl: 60, jwksMaxAge: 10 }
const envOf = (name: string) => {
  const spec = serviceSpecs().find((candidate) => candidate.name === name)!
  return serviceEnv(spec, DEFAULT_PORTS, settings)
}

afterEach(() => {
  vi.unstubAllEnvs()
})

describe('the environment the launcher gives each service', () => {
  it("gives web and orders-api each its own client's secret, from the names the auth-server reads", () => {
    vi.stubEnv('CLIENT_SECRET', 'meant-for-nobody')
    vi.stubEnv('WEB_CLIENT_SECRET', 'w-secret')
    vi.stubEnv('ORDERS_API_CLIENT_SECRET', 'o-secret')
    expect(envOf('web').CLIENT_SECRET).toBe('w-secret')
    expect(envOf('orders-api').CLIENT_SECRET).toBe('o-secret')
    expect(envOf('inventory-api').CLIENT_SECRET).toBeUndefined()
    expect(envOf('auth-server').ORDERS_API_CLIENT_SECRET).toBe('o-secret')
  })

  it("leaves each service's documented local default when no secret is set", () => {
    vi.stubEnv('CLIENT_SECRET', 'meant-for-nobody')
    vi.stubEnv('WEB_CLIENT_SECRET', undefined)
    vi.stubEnv('ORDERS_API_CLIENT_SECRET', undefined)
    expect(envOf('web').CLIENT_SECRET).toBeUndefined()
    expect(envOf('orders-api').CLIENT_SECRET).toBeUndefined()
  })

  it('keeps the values that tie the four together, whatever the shell says', () => {
    vi.stubEnv('ISSUER', 'http://elsewhere.example')
    vi.stubEnv('DATABASE_URL', 'postgres://shared/db')
    expect(envOf('orders-api')).toMatchObject({ ISSUER: 'http://localhost:4000', PORT: '4001' })
    expect(envOf('orders-api').DATABASE_URL).toBeUndefined()
    expect(envOf('web')).toMatchObject({
      PUBLIC_ISSUER: 'http://localhost:4000',
      ORDERS_API_URL: 'http://localhost:4001',
      ADMIN_URL: 'http://127.0.0.1:4003',
    })
    vi.stubEnv('ADMIN_PORT', '4000')
    expect(envOf('auth-server')).toMatchObject({ PORT: '4000', ADMIN_PORT: '4003' })
  })
})
