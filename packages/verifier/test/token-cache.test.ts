import { createVerifier } from '@stateless-auth/verifier'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { adapterApi } from '../src/internal/adapter-api.js'
import { sharedJwksServer, trusting } from './helpers/jwks-server.js'
import { accessClaims, signToken } from './helpers/keys.js'

const file = sharedJwksServer('ES256')
afterEach(() => vi.useRealTimers())

const make = (max?: number) => createVerifier({ ...trusting(file.as), cache: max ? { max } : {} })

describe('verified-token cache', () => {
  it('is off by default', async () => {
    const verifier = createVerifier(trusting(file.as))
    const token = signToken(file.key, accessClaims(file.as.issuer))
    await verifier.verify(token)
    await verifier.verify(token)
    expect(verifier.stats().tokenCacheHits).toBe(0)
    await verifier.close()
  })

  it('answers a repeated token from the cache with the same, frozen claims', async () => {
    const verifier = make()
    const token = signToken(file.key, accessClaims(file.as.issuer))
    const first = await verifier.verify(token)
    const second = await verifier.verify(token)
    expect(second).toBe(first)
    expect(Object.isFrozen(second)).toBe(true)
    expect(verifier.stats()).toMatchObject({
      verified: 2,
      tokenCacheHits: 1,
      keyCacheHits: 0,
      keyCacheMisses: 1,
    })
    await verifier.close()
  })

  it('never serves a token past its exp', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const verifier = make()
    const exp = Math.floor(Date.now() / 1000) + 60
    const token = signToken(file.key, accessClaims(file.as.issuer, { exp }))
    await verifier.verify(token)
    vi.setSystemTime(exp * 1000)
    // The verifier's clockTolerance would still accept it on a full check; the cache entry must already be gone.
    const hitsBefore = verifier.stats().tokenCacheHits
    await verifier.verify(token).catch(() => {})
    expect(verifier.stats().tokenCacheHits).toBe(hitsBefore)
    vi.setSystemTime(exp * 1000 + 6000)
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'VERIFIER_ERR_TOKEN_EXPIRED' })
    await verifier.close()
  })

  it('is bounded (least recently used entries go first)', async () => {
    const verifier = make(2)
    const [t1, t2, t3] = [1, 2, 3].map(() => signToken(file.key, accessClaims(file.as.issuer)))
    for (const t of [t1, t2, t1, t3]) await verifier.verify(t!)
    expect(verifier.stats().tokenCacheHits).toBe(1)
    await verifier.verify(t1!) // still cached: it was used after t2
    expect(verifier.stats().tokenCacheHits).toBe(2)
    await verifier.verify(t2!) // evicted by t3
    expect(verifier.stats().tokenCacheHits).toBe(2)
    await verifier.close()
  })

  it('does not cache failures, and refuses oversized tokens before hashing them', async () => {
    const verifier = make()
    const bad = signToken(file.key, accessClaims(file.as.issuer, { aud: 'other' }))
    await expect(verifier.verify(bad)).rejects.toMatchObject({ code: 'VERIFIER_ERR_AUDIENCE_INVALID' })
    await expect(verifier.verify(bad)).rejects.toMatchObject({ code: 'VERIFIER_ERR_AUDIENCE_INVALID' })
    await expect(verifier.verify('a'.repeat(8193))).rejects.toMatchObject({
      code: 'VERIFIER_ERR_TOKEN_TOO_LARGE',
    })
    expect(verifier.stats().failures).toEqual({
      VERIFIER_ERR_AUDIENCE_INVALID: 2,
      VERIFIER_ERR_TOKEN_TOO_LARGE: 1,
    })
    await verifier.close()
  })

  it('never lets a cached token past the Authorization header rules (RFC 6750 §2.1, §3.1)', async () => {
    const verifier = make()
    const token = signToken(file.key, accessClaims(file.as.issuer))
    await verifier.authenticate(`Bearer ${token}`)
    expect(adapterApi(verifier).check(`Bearer ${token}`)).toMatchObject({ sub: 'alice' }) // a hit, answered synchronously
    for (const [header, code] of [
      [[`Bearer ${token}`, `Bearer ${token}`], 'VERIFIER_ERR_INVALID_REQUEST'],
      [`Bearer ${token} ${token}`, 'VERIFIER_ERR_INVALID_REQUEST'],
      [`Bearer ${token}"`, 'VERIFIER_ERR_INVALID_REQUEST'],
      [`Basic ${token}`, 'VERIFIER_ERR_NO_CREDENTIALS'],
      [`Bearer ${token}${'A'.repeat(8192)}`, 'VERIFIER_ERR_TOKEN_TOO_LARGE'],
    ] as const) {
      await expect(
        verifier.authenticate(header as string | string[]),
        String(header).slice(0, 8),
      ).rejects.toMatchObject({
        code,
      })
    }
    // Other spellings the grammar allows go through the full parse, and then hit the cache all the same.
    const hits = verifier.stats().tokenCacheHits
    await expect(verifier.authenticate(`bearer  ${token}`)).resolves.toMatchObject({ sub: 'alice' })
    expect(verifier.stats().tokenCacheHits).toBe(hits + 1)
    await verifier.close()
  })
})
