import { execFileSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createVerifier, type Verifier } from '@stateless-auth/verifier'
import { afterEach, describe, expect, it } from 'vitest'
import { type JwksServer, startJwksServer } from './helpers/jwks-server.js'
import { AUDIENCE, accessClaims, generateKey, signToken } from './helpers/keys.js'
import { outcome } from './helpers/wait.js'

// A signature check still on libuv's thread pool when a JWKS refetch withdraws its key (and empties the token cache)
// must not accept the token, nor put it into the emptied cache, where it would be accepted until its own exp.

// Occupies every thread-pool thread with an open() of a FIFO that has no writer, so that crypto work queued after it
// waits, deterministically, until release(). libuv's queue is FIFO: with as many blockers as threads, nothing queued
// later can run first.
function blockThreadPool() {
  const dir = mkdtempSync(join(tmpdir(), 'verifier-pool-'))
  const fifo = join(dir, 'latch')
  execFileSync('mkfifo', [fifo])
  const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4)
  const readers = Array.from({ length: threads }, () => open(fifo, 'r'))
  return async () => {
    // O_RDWR on a FIFO never blocks (Linux) and lets every pending reader's open() return.
    const fd = openSync(fifo, 'r+')
    for (const handle of await Promise.all(readers)) await handle.close()
    closeSync(fd)
    rmSync(dir, { recursive: true, force: true })
  }
}

let as: JwksServer | undefined
let verifier: Verifier | undefined
let release: (() => Promise<void>) | undefined

afterEach(async () => {
  await release?.()
  await verifier?.close()
  await as?.close()
  release = verifier = as = undefined
})

const codeOf = (r: { error?: unknown }) => (r.error as { code?: string } | undefined)?.code

describe('a key withdrawn while a signature check is on the thread pool', () => {
  it('refuses the token, and does not cache it, when a refetch removed its key during the check', async () => {
    const a = generateKey('ES256', 'key-a')
    const b = generateKey('EdDSA', 'key-b')
    as = await startJwksServer([a, b])
    verifier = createVerifier({
      issuer: as.issuer,
      audience: AUDIENCE,
      jwksUri: as.jwksUri,
      cache: { max: 100 },
      cooldown: 0,
    })
    await verifier.ready()
    const tokenA = signToken(a, accessClaims(as.issuer))

    // The authorization server withdraws key-a (e.g. compromised).
    as.setKeys([b])
    release = blockThreadPool()
    let settled = false
    const inFlight = outcome(verifier.verify(tokenA)).finally(() => {
      settled = true
    })
    // Any token with an unknown kid makes the verifier refetch: key-a is dropped, the token cache emptied.
    const unknown = await outcome(
      verifier.verify(signToken(b, accessClaims(as.issuer), { header: { kid: 'x' } })),
    )
    expect(codeOf(unknown)).toBe('VERIFIER_ERR_KEY_NOT_FOUND')
    expect(settled).toBe(false) // precondition: tokenA's signature check has not run yet

    await release()
    release = undefined
    expect(codeOf(await inFlight)).toBe('VERIFIER_ERR_KEY_NOT_FOUND')

    // key-a is gone: tokenA must now be refused exactly as the existing jwks.test.ts case expects after a refetch.
    expect(codeOf(await outcome(verifier.verify(tokenA)))).toBe('VERIFIER_ERR_KEY_NOT_FOUND')
    expect(verifier.stats().tokenCacheHits).toBe(0)
  })
})
