import { describe, expect, it } from 'vitest'
import { decodeJwt, tamper } from '../src/jwt.js'

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const token = `${b64({ alg: 'RS256', typ: 'at+jwt', kid: 'k1' })}.${b64({ sub: 'alice', exp: 100 })}.c2lnbmF0dXJl`

describe('decoding and tampering with a compact JWS', () => {
  it('decodes header and payload without checking the signature', () => {
    expect(decodeJwt(token)).toEqual({
      header: { alg: 'RS256', typ: 'at+jwt', kid: 'k1' },
      payload: { sub: 'alice', exp: 100 },
      signature: 'c2lnbmF0dXJl',
    })
  })

  it('answers undefined for what is not a JWS of JSON objects', () => {
    expect(decodeJwt('a.b')).toBeUndefined()
    expect(decodeJwt(`${b64([1])}.${b64({})}.x`)).toBeUndefined()
    expect(decodeJwt('!!!.???.x')).toBeUndefined()
  })

  it('changes one claim and keeps header and signature exactly as they were', () => {
    const forged = tamper(token, 'exp', 200)
    const [header, , signature] = forged.split('.')
    expect(header).toBe(token.split('.')[0])
    expect(signature).toBe('c2lnbmF0dXJl')
    expect(decodeJwt(forged)?.payload).toEqual({ sub: 'alice', exp: 200 })
  })
})
