import { createHash, generateKeyPairSync } from 'node:crypto'
import { DpopKey } from '@stateless-auth/dpop-client'
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'

// jose checks what this package signs: an independent JOSE implementation, not our own code read back.
const verify = (proof: string) =>
  jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] }).then((r) => r.payload)

describe('a DPoP key', () => {
  it('puts only the public P-256 key in the header, and its RFC 7638 thumbprint is jkt', async () => {
    const key = DpopKey.generate()
    expect(Object.keys(key.publicJwk).sort()).toEqual(['crv', 'kty', 'x', 'y'])
    expect(key.publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256' })
    expect(key.jkt).toBe(
      await calculateJwkThumbprint(key.publicJwk as Parameters<typeof calculateJwkThumbprint>[0]),
    )
    const header = decodeProtectedHeader(key.proof({ method: 'GET', url: 'https://api.example/orders' }))
    expect(header).toEqual({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk })
    expect(DpopKey.generate().jkt).not.toBe(key.jkt)
  })

  it('signs a proof with htm, htu without query or fragment, iat and a fresh jti (RFC 9449 §4.2)', async () => {
    const key = DpopKey.generate()
    const before = Math.floor(Date.now() / 1000)
    const input = { method: 'post', url: 'https://as.example:8443/token?x=1#frag' }
    const payload = await verify(key.proof(input))
    expect(payload).toEqual({
      htm: 'POST',
      htu: 'https://as.example:8443/token',
      iat: expect.any(Number),
      jti: expect.any(String),
    })
    expect(payload.iat).toBeGreaterThanOrEqual(before)
    expect(payload.iat).toBeLessThanOrEqual(Math.floor(Date.now() / 1000))
    expect((await verify(key.proof(input))).jti).not.toBe(payload.jti)
  })

  it('binds the access token (ath) and echoes the server nonce when given them', async () => {
    const key = DpopKey.generate()
    const accessToken = 'eyJ.an-access.token'
    const payload = await verify(
      key.proof({
        method: 'GET',
        url: new URL('https://api.example/orders'),
        accessToken,
        nonce: 'n-1',
        iat: 1_700_000_000,
        jti: 'fixed',
      }),
    )
    expect(payload).toEqual({
      htm: 'GET',
      htu: 'https://api.example/orders',
      iat: 1_700_000_000,
      jti: 'fixed',
      ath: createHash('sha256').update(accessToken).digest('base64url'),
      nonce: 'n-1',
    })
  })

  it('is restored from its private JWK with the same thumbprint, and signs for it', async () => {
    const key = DpopKey.generate()
    const saved = key.toPrivateJwk()
    expect(saved).toMatchObject({ kty: 'EC', crv: 'P-256', d: expect.any(String) })
    const restored = DpopKey.fromPrivateJwk(saved)
    expect(restored.jkt).toBe(key.jkt)
    const proof = restored.proof({ method: 'GET', url: 'https://api.example/orders' })
    expect(decodeProtectedHeader(proof).jwk).toEqual(key.publicJwk)
    await expect(verify(proof)).resolves.toMatchObject({ htm: 'GET' })
  })

  it('refuses a JWK that is not a P-256 private key', () => {
    const key = DpopKey.generate()
    const { d: _d, ...publicOnly } = key.toPrivateJwk()
    expect(() => DpopKey.fromPrivateJwk(publicOnly)).toThrow(/P-256 private JWK/)
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'jwk' })
    expect(() => DpopKey.fromPrivateJwk(p384)).toThrow(/P-256 private JWK/)
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' })
    expect(() => DpopKey.fromPrivateJwk(rsa)).toThrow(/P-256 private JWK/)
  })
})
