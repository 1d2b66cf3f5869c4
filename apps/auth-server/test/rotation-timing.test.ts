import { decodeProtectedHeader, type JWK } from 'jose'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.js'
import { timingProblems } from '../src/config-rules.js'
import { ConfigError } from '../src/errors.js'
import { admin, basic, fakeClock, post, start } from './helpers.js'

async function jwks(url: string): Promise<JWK[]> {
  return ((await (await fetch(`${url}/jwks`)).json()) as { keys: JWK[] }).keys
}

describe('key rotation waits for the pending key (issue 12, item 2)', () => {
  it('accepts the first of 25 rapid rotations and refuses the others with 409 while its key is pending', async () => {
    const clock = fakeClock()
    const server = await start({ JWKS_MAX_AGE: '300', ADMIN_TOKEN: 'admin-token' }, { now: clock.now })
    const first = (await jwks(server.url))[0]!.kid
    const responses = await Promise.all(
      Array.from({ length: 25 }, () => admin(server.adminUrl, '/admin/keys/rotate')),
    )
    const accepted = responses.filter((r) => r.status === 200)
    const refused = responses.filter((r) => r.status === 409)
    expect(accepted).toHaveLength(1)
    expect(refused).toHaveLength(24)
    for (const response of refused) {
      expect(await response.json()).toEqual({
        error: 'rotation_pending',
        error_description: expect.stringMatching(/still pending publication/),
      })
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(Number(response.headers.get('retry-after'))).toBeLessThanOrEqual(300)
    }
    const { kid } = (await accepted[0]!.json()) as { kid: string }
    expect((await jwks(server.url)).map((k) => k.kid)).toEqual([first, kid])

    // Once the new key signs, the next rotation is accepted.
    clock.advance(300)
    const token = await post(
      `${server.url}/token`,
      { grant_type: 'client_credentials' },
      basic('orders-api', 'orders-api-secret'),
    )
    expect(decodeProtectedHeader(((await token.json()) as { access_token: string }).access_token).kid).toBe(
      kid,
    )
    expect((await admin(server.adminUrl, '/admin/keys/rotate')).status).toBe(200)
  })

  it('bounds the published keys at 10 when nothing is ever pending (JWKS_MAX_AGE=0)', async () => {
    // ES256: nine key pairs generated one after the other, quickly.
    const server = await start({ JWKS_MAX_AGE: '0', SIGNING_ALG: 'ES256' })
    const responses = await Promise.all(
      Array.from({ length: 25 }, () => admin(server.adminUrl, '/admin/keys/rotate')),
    )
    // The first key plus 9 rotations make 10; the other 16 are refused until the oldest retired key drops out.
    expect(responses.filter((r) => r.status === 200)).toHaveLength(9)
    const refused = responses.filter((r) => r.status === 409)
    expect(refused).toHaveLength(16)
    expect(await refused[0]!.json()).toEqual({
      error: 'rotation_pending',
      error_description: expect.stringMatching(/10 keys are published already/),
    })
    expect(await jwks(server.url)).toHaveLength(10)
  })

  it('lets a scheduled rotation wait while a key is pending', async () => {
    const clock = fakeClock()
    const server = await start({ KEY_ROTATION_INTERVAL: '3600', JWKS_MAX_AGE: '300' }, { now: clock.now })
    clock.advance(3600)
    // An operator rotated just before the schedule came due: the schedule does not add a second pending key.
    expect((await admin(server.adminUrl, '/admin/keys/rotate')).status).toBe(200)
    expect(await server.app.authServer.keys.rotateIfDue()).toBe(false)
    expect(await jwks(server.url)).toHaveLength(2)
  })
})

describe('rotation interval against the other timings', () => {
  it('refuses KEY_ROTATION_INTERVAL shorter than JWKS_MAX_AGE + ACCESS_TOKEN_TTL + CLOCK_SKEW', () => {
    // Defaults: 300 + 300 + 60 = 660 s.
    expect(() => loadConfig({ KEY_ROTATION_INTERVAL: '30' })).toThrow(ConfigError)
    expect(() => loadConfig({ KEY_ROTATION_INTERVAL: '659' })).toThrow(
      'invalid configuration: KEY_ROTATION_INTERVAL (659 s) must be 0 (off) or at least JWKS_MAX_AGE + ACCESS_TOKEN_TTL + CLOCK_SKEW = 300 + 300 + 60 = 660 s',
    )
    expect(loadConfig({ KEY_ROTATION_INTERVAL: '660' }).keyRotationInterval).toBe(660)
    expect(loadConfig({ KEY_ROTATION_INTERVAL: '0' }).keyRotationInterval).toBe(0)
    expect(
      loadConfig({
        KEY_ROTATION_INTERVAL: '40',
        JWKS_MAX_AGE: '10',
        ACCESS_TOKEN_TTL: '20',
        CLOCK_SKEW: '10',
      }).keyRotationInterval,
    ).toBe(40)
    expect(
      timingProblems({ keyRotationInterval: 1, jwksMaxAge: 0, accessTokenTtl: 10, clockSkew: 0 }),
    ).toHaveLength(1)
  })
})
