import { lookup } from 'node:dns/promises'
import { createVerifier, type Verifier } from '@stateless-auth/verifier'
import { afterEach, describe, expect, it } from 'vitest'
import { type JwksServer, startJwksServer } from './helpers/jwks-server.js'
import { AUDIENCE, accessClaims, generateKey, signToken } from './helpers/keys.js'

// Signature checks run on libuv's thread pool, whose queue has no bound. A flood of forged tokens (a public kid, a
// signature of the right length) must not queue one job per request ahead of everything else the process runs on the
// pool: dns.lookup (the JWKS fetch to http://auth-server:4000 in compose, orders-api's calls to inventory-api), fs,
// zlib. Beyond a small backlog, checks run on the event loop, which throttles intake as synchronous checks did.

let as: JwksServer | undefined
let verifier: Verifier | undefined

afterEach(async () => {
  await verifier?.close()
  await as?.close()
  verifier = as = undefined
})

describe('thread-pool backlog', () => {
  it('does not queue an unbounded number of signature checks ahead of other thread-pool work', async () => {
    const key = generateKey('ES256')
    as = await startJwksServer([key])
    verifier = createVerifier({ issuer: as.issuer, audience: AUDIENCE, jwksUri: as.jwksUri })
    await verifier.ready()
    const good = signToken(key, accessClaims(as.issuer))
    // A forgery: right header, right signature length, wrong bytes.
    const forged = `${good.slice(0, -10)}AAAAAAAAAA`
    const v = verifier
    let settled = 0
    const flood = Array.from({ length: 2000 }, () =>
      v.verify(forged).then(
        () => settled++,
        () => settled++,
      ),
    )
    // Let anything that settled without the pool (e.g. a synchronous fallback) be counted first: microtasks only.
    for (let i = 0; i < 20; i++) await null
    const before = settled
    await lookup('localhost') // getaddrinfo runs on the same thread pool
    const ranAhead = settled - before
    await Promise.all(flood)
    // With a bound on in-flight checks (or a synchronous fallback beyond it), at most that bound runs ahead.
    expect(ranAhead).toBeLessThan(100)
  })
})
