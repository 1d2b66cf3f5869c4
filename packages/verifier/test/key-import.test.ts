import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import type { SupportedAlgorithm } from '@stateless-auth/verifier'
import { describe, expect, it } from 'vitest'
import { accessClaims, generateKey, signToken, type TestAlg, type TestKey } from './helpers/keys.js'
import { publishPerTest } from './helpers/publish.js'

// Which JWKS entries become verification keys (RFC 7517 §4, RFC 7518 §3, RFC 8037, RFC 8725 §3.1).

const start = publishPerTest()

function keyFrom(kid: string, alg: TestAlg, pair: { privateKey: KeyObject; publicKey: KeyObject }): TestKey {
  return { kid, alg, ...pair, jwk: { ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' } }
}

/** Publishes `jwks`; the answer tells how the verifier takes a token signed with `key` (under `alg`). */
async function publish(jwks: object[], algorithms?: SupportedAlgorithm[]) {
  const { as, code } = await start(jwks, algorithms ? { algorithms } : {})
  return (key: TestKey, alg: string = key.alg) => code(signToken(key, accessClaims(as.issuer), { alg }))
}

describe('which JWKS keys verify tokens', () => {
  it('an RSA key without alg verifies with exactly one algorithm: the first RSA one allowed', async () => {
    const rsa = generateKey('RS256', 'rsa-no-alg')
    const { alg: _omitted, ...withoutAlg } = rsa.jwk
    const check = await publish([withoutAlg])
    expect(await check(rsa, 'RS256')).toBe('accepted')
    // RFC 8725 §3.1: "each key MUST be used with exactly one algorithm".
    expect(await check(rsa, 'PS256')).toBe('VERIFIER_ERR_ALGORITHM_NOT_ALLOWED')
  })

  it('an RSA key states its algorithm with alg, and then only that one is used', async () => {
    const rsa = generateKey('PS256', 'rsa-ps')
    const check = await publish([rsa.jwk])
    expect(await check(rsa, 'PS256')).toBe('accepted')
    expect(await check(rsa, 'RS256')).toBe('VERIFIER_ERR_ALGORITHM_NOT_ALLOWED')
  })

  it('skips RSA keys shorter than 2048 bits (RFC 7518 §3.3)', async () => {
    const short = keyFrom('rsa-1024', 'RS256', generateKeyPairSync('rsa', { modulusLength: 1024 }))
    const check = await publish([short.jwk])
    expect(await check(short)).toBe('VERIFIER_ERR_KEY_NOT_FOUND')
  })

  it('skips an EC key whose alg does not match its curve', async () => {
    const p256 = generateKey('ES256', 'p256-says-es384')
    const check = await publish([{ ...p256.jwk, alg: 'ES384' }], ['ES256', 'ES384'])
    expect(await check(p256, 'ES384')).toBe('VERIFIER_ERR_KEY_NOT_FOUND')
    expect(await check(p256, 'ES256')).toBe('VERIFIER_ERR_KEY_NOT_FOUND')
  })

  it('uses only Ed25519 for EdDSA: an Ed448 key is skipped', async () => {
    const ed448 = keyFrom('ed448', 'EdDSA', generateKeyPairSync('ed448'))
    const check = await publish([ed448.jwk])
    expect(await check(ed448)).toBe('VERIFIER_ERR_KEY_NOT_FOUND')
  })

  it('honours key_ops: a key that may not verify is skipped (RFC 7517 §4.3)', async () => {
    const encrypting = generateKey('ES256', 'encrypt-only')
    const verifying = generateKey('ES256', 'verify-ok')
    const check = await publish([
      { ...encrypting.jwk, key_ops: ['encrypt'] },
      { ...verifying.jwk, key_ops: ['verify'] },
    ])
    expect(await check(encrypting)).toBe('VERIFIER_ERR_KEY_NOT_FOUND')
    expect(await check(verifying)).toBe('accepted')
  })

  it('is not ready while the JWKS holds no key it can use', async () => {
    const ed448 = keyFrom('ed448', 'EdDSA', generateKeyPairSync('ed448'))
    const { as, verifier } = await start([ed448.jwk])
    await expect(verifier.ready()).rejects.toMatchObject({ code: 'VERIFIER_ERR_JWKS_UNAVAILABLE' })
    const usable = generateKey('EdDSA', 'usable')
    as.setKeys([ed448.jwk, usable.jwk])
    await expect(verifier.ready()).resolves.toBeUndefined()
  })
})
