import { constants, generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import type { SupportedAlgorithm } from '@stateless-auth/verifier'
import { describe, expect, it } from 'vitest'
import { signatureCheck, splitCompact } from '../src/jws.js'
import { SUPPORTED_ALGORITHMS } from '../src/options.js'
import { AUDIENCE, accessClaims, signature } from './helpers/keys.js'
import { publishPerTest } from './helpers/publish.js'
import { outcome } from './helpers/wait.js'

// The JWS layer of the core (RFC 7515 compact serialization, RFC 7518 / RFC 8037 algorithms): every algorithm the
// verifier supports, and the signature encodings it must refuse.

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')

function pairFor(alg: SupportedAlgorithm, modulusLength = 2048) {
  if (alg.startsWith('RS') || alg.startsWith('PS')) return generateKeyPairSync('rsa', { modulusLength })
  if (alg === 'ES256') return generateKeyPairSync('ec', { namedCurve: 'P-256' })
  if (alg === 'ES384') return generateKeyPairSync('ec', { namedCurve: 'P-384' })
  if (alg === 'ES512') return generateKeyPairSync('ec', { namedCurve: 'P-521' })
  return generateKeyPairSync('ed25519')
}

const publish = publishPerTest()

async function setUp(alg: SupportedAlgorithm, modulusLength?: number, requiredClaims?: string[]) {
  const { privateKey, publicKey } = pairFor(alg, modulusLength)
  const kid = `${alg}-key`
  const { as, code } = await publish([{ ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' }], {
    algorithms: [alg],
    ...(requiredClaims ? { requiredClaims } : {}),
  })
  const input = `${b64({ alg, typ: 'at+jwt', kid })}.${b64(accessClaims(as.issuer))}`
  return { issuer: as.issuer, input, privateKey, good: `${input}.${signature(alg, input, privateKey)}`, code }
}

describe('JWS signatures', () => {
  it.each(SUPPORTED_ALGORITHMS)(
    'accepts %s, and refuses it with one bit of the signature flipped',
    async (alg) => {
      const { good, code } = await setUp(alg)
      expect(await code(good)).toBe('accepted')
      const sig = Buffer.from(good.split('.')[2]!, 'base64url')
      sig[sig.length >> 1]! ^= 1
      expect(await code(`${good.slice(0, good.lastIndexOf('.'))}.${sig.toString('base64url')}`)).toBe(
        'VERIFIER_ERR_SIGNATURE_INVALID',
      )
    },
  )

  it('takes the RSA signature size from the key (RSA-3072)', async () => {
    const { good, code } = await setUp('RS256', 3072)
    expect(good.split('.')[2]).toHaveLength(512)
    expect(await code(good)).toBe('accepted')
  })

  it('refuses an ECDSA signature in DER form: JWS uses R || S (RFC 7518 §3.4)', async () => {
    const { input, privateKey, code } = await setUp('ES256')
    const der = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'der' }).toString(
      'base64url',
    )
    expect(await code(`${input}.${der}`)).toBe('VERIFIER_ERR_SIGNATURE_INVALID')
  })

  it('refuses a PSS signature whose salt is not the hash length (RFC 7518 §3.5)', async () => {
    const { input, privateKey, code } = await setUp('PS256')
    const sig = sign('sha256', Buffer.from(input), {
      key: privateKey as KeyObject,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 0,
    }).toString('base64url')
    expect(await code(`${input}.${sig}`)).toBe('VERIFIER_ERR_SIGNATURE_INVALID')
  })

  it('gives one signature one spelling: no extra characters, no unused bits set (RFC 4648 §3.5)', async () => {
    const { good, code } = await setUp('EdDSA')
    // 64 bytes are 86 base64url characters, the last carrying 2 unused bits.
    const sig = good.split('.')[2]!
    const body = good.slice(0, good.lastIndexOf('.'))
    expect(await code(`${good}A`)).toBe('VERIFIER_ERR_SIGNATURE_INVALID')
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const last = alphabet.indexOf(sig.at(-1)!)
    const sameBytes = `${sig.slice(0, -1)}${alphabet[last ^ 1]}`
    expect(Buffer.from(sameBytes, 'base64url').equals(Buffer.from(sig, 'base64url'))).toBe(true)
    expect(await code(`${body}.${sameBytes}`)).toBe('VERIFIER_ERR_SIGNATURE_INVALID')
    expect(await code(`${body}.${sig.slice(0, 40)}+${sig.slice(41)}`)).toBe('VERIFIER_ERR_SIGNATURE_INVALID')
  })

  it('refuses segments outside the base64url alphabet, and a fourth segment', async () => {
    const { good, code } = await setUp('EdDSA')
    const [h, p, s] = good.split('.') as [string, string, string]
    expect(await code(`${h}.${p}=.${s}`)).toBe('VERIFIER_ERR_TOKEN_MALFORMED')
    expect(await code(`${h}.${p.slice(0, 10)}/${p.slice(11)}.${s}`)).toBe('VERIFIER_ERR_TOKEN_MALFORMED')
    expect(await code(`${h}.${p}.${s}.${s}`)).toBe('VERIFIER_ERR_TOKEN_MALFORMED')
    expect(await code(`.${p}.${s}`)).toBe('VERIFIER_ERR_TOKEN_MALFORMED')
  })

  it('refuses any crit header, since no extension is understood (RFC 7515 §4.1.11)', async () => {
    const { issuer, privateKey, code } = await setUp('EdDSA')
    const header = { alg: 'EdDSA', typ: 'at+jwt', kid: 'EdDSA-key', crit: ['exp'], exp: 1 }
    const input = `${b64(header)}.${b64(accessClaims(issuer))}`
    expect(await code(`${input}.${signature('EdDSA', input, privateKey)}`)).toBe(
      'VERIFIER_ERR_HEADER_INVALID',
    )
  })

  it('checks nbf when present: a number, and reached (RFC 7519 §4.1.5)', async () => {
    const { issuer, privateKey, code } = await setUp('EdDSA')
    const signed = (claims: Record<string, unknown>) => {
      const input = `${b64({ alg: 'EdDSA', typ: 'at+jwt', kid: 'EdDSA-key' })}.${b64(claims)}`
      return `${input}.${signature('EdDSA', input, privateKey)}`
    }
    const now = Math.floor(Date.now() / 1000)
    expect(await code(signed(accessClaims(issuer, { nbf: now })))).toBe('accepted')
    expect(await code(signed(accessClaims(issuer, { nbf: String(now) })))).toBe('VERIFIER_ERR_CLAIM_INVALID')
    expect(await code(signed(accessClaims(issuer, { nbf: now + 60 })))).toBe(
      'VERIFIER_ERR_TOKEN_NOT_YET_VALID',
    )
    // The audience may be a list that names us among others (RFC 7519 §4.1.3).
    expect(await code(signed(accessClaims(issuer, { aud: ['urn:other', AUDIENCE] })))).toBe('accepted')
    expect(await code(signed(accessClaims(issuer, { aud: [['urn:other', AUDIENCE]] })))).toBe(
      'VERIFIER_ERR_CLAIM_INVALID',
    )
    expect(await code(signed(accessClaims(issuer, { aud: [AUDIENCE, 42] })))).toBe(
      'VERIFIER_ERR_CLAIM_INVALID',
    )
    expect(await code(signed(accessClaims(issuer, { aud: [AUDIENCE, { evil: true }] })))).toBe(
      'VERIFIER_ERR_CLAIM_INVALID',
    )
    expect(await code(signed(accessClaims(issuer, { aud: [] })))).toBe('VERIFIER_ERR_AUDIENCE_INVALID')
  })

  it('counts only claims the token has as present, not what every object inherits', async () => {
    const { issuer, privateKey, code } = await setUp('EdDSA', undefined, ['constructor', 'tenant'])
    const signed = (claims: Record<string, unknown>) => {
      const input = `${b64({ alg: 'EdDSA', typ: 'at+jwt', kid: 'EdDSA-key' })}.${b64(claims)}`
      return `${input}.${signature('EdDSA', input, privateKey)}`
    }
    expect(await code(signed(accessClaims(issuer, { tenant: 't1' })))).toBe('VERIFIER_ERR_CLAIM_MISSING')
    expect(await code(signed(accessClaims(issuer, { tenant: 't1', constructor: 'x' })))).toBe('accepted')
  })

  it('never hands OpenSSL a key of another type or curve than the algorithm needs (second guard after importJwk)', async () => {
    const token = splitCompact('e30.e30.AAAA')
    const refused = async (alg: SupportedAlgorithm, key: KeyObject) =>
      ((await outcome(signatureCheck(alg, key).verify(token))).error as { code?: string }).code
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey
    expect(await refused('ES256', p384)).toBe('VERIFIER_ERR_ALGORITHM_NOT_ALLOWED')
    expect(await refused('RS256', p384)).toBe('VERIFIER_ERR_ALGORITHM_NOT_ALLOWED')
    expect(await refused('EdDSA', pairFor('RS256').publicKey)).toBe('VERIFIER_ERR_ALGORITHM_NOT_ALLOWED')
    expect(await refused('ES384', p384)).toBe('VERIFIER_ERR_SIGNATURE_INVALID')
  })
})
