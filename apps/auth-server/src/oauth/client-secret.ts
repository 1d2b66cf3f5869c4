import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto'
import { randomToken, verifySecret } from '../crypto.js'
import { TemporarilyUnavailable } from '../errors.js'

/**
 * How client secrets are stored and checked (issue 12, item 6).
 *
 * Client secrets are long random strings, not passwords: nobody can guess or brute-force 256 random bits, so a
 * slow KDF buys nothing and costs a lot — every wrong-secret attempt ran scrypt on libuv's thread pool, which
 * token signing shares, and a flood of wrong secrets held real token requests for seconds. They are stored as
 * HMAC-SHA-256 under a server key instead (`hmac-sha256$<key tag>$<mac>`), checked in microseconds on the event
 * loop with a constant-time compare. The key is derived from KEY_ENCRYPTION_SECRET (required in production), so
 * a leaked table alone does not even allow an offline check; without that secret (local use) the key is fixed
 * and the stored value is as strong as the secret itself. The MAC covers the client id too, so two clients with
 * the same secret do not share a stored value.
 *
 * Rows written before this format hold scrypt hashes (`scrypt$…`). They are still accepted — through a small,
 * process-wide gate on concurrent scrypt runs that answers 503 beyond its queue — and rewritten as HMAC on
 * their first successful check, so no client is lost and the slow path disappears as clients come back.
 * Configured clients are rewritten at every start anyway (seedClients).
 */
const SCHEME = 'hmac-sha256'
/** Compared against when the client id is unknown. */
const DUMMY = randomToken()

const keys = new Map<string, { key: Buffer; tag: string }>()
function serverKey(keyEncryptionSecret: string | undefined): { key: Buffer; tag: string } {
  const secret = keyEncryptionSecret ?? ''
  let entry = keys.get(secret)
  if (!entry) {
    const key = Buffer.from(hkdfSync('sha256', secret, 'stateless-auth', 'client-secret-hmac', 32))
    // The tag names the key without revealing it, so a row written under another key is recognised as such.
    const tag = createHash('sha256').update(key).digest('base64url').slice(0, 8)
    entry = { key, tag }
    keys.set(secret, entry)
  }
  return entry
}

function mac(clientId: string, secret: string, key: Buffer): Buffer {
  return createHmac('sha256', key).update(clientId).update('\u0000').update(secret).digest()
}

/** The stored form of a client secret. */
export function hashClientSecret(
  clientId: string,
  secret: string,
  keyEncryptionSecret: string | undefined,
): string {
  const { key, tag } = serverKey(keyEncryptionSecret)
  return [SCHEME, tag, mac(clientId, secret, key).toString('base64url')].join('$')
}

/** Whether a stored value that just verified predates the keyed hash (scrypt) and should be rewritten. */
export function needsRehash(stored: string, keyEncryptionSecret: string | undefined): boolean {
  return !stored.startsWith(`${SCHEME}$${serverKey(keyEncryptionSecret).tag}$`)
}

/**
 * Bounds the scrypt runs that legacy rows can trigger: at most `running` at once and `queued` waiting; beyond
 * that the caller is told to retry (503) at once instead of queueing work on the thread pool.
 */
class Gate {
  private active = 0
  private readonly waiting: (() => void)[] = []

  constructor(
    private readonly running: number,
    private readonly queued: number,
  ) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.running) {
      if (this.waiting.length >= this.queued) {
        throw new TemporarilyUnavailable('too many client authentications in progress, retry shortly', 1)
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve))
    } else {
      this.active += 1
    }
    try {
      return await fn()
    } finally {
      // Hand the slot straight to the next waiter, or free it.
      const next = this.waiting.shift()
      if (next) next()
      else this.active -= 1
    }
  }
}

// Two of libuv's four default threads at most, so token signing always finds a free one.
const legacyChecks = new Gate(2, 8)

/**
 * Checks `secret` against the stored value of `clientId`. For an unknown client (`stored` null) a MAC is
 * still computed and compared, so timing does not reveal which client ids exist.
 */
export async function checkClientSecret(
  clientId: string,
  secret: string,
  stored: string | null,
  keyEncryptionSecret: string | undefined,
): Promise<boolean> {
  if (stored?.startsWith('scrypt$')) return legacyChecks.run(() => verifySecret(secret, stored))
  const { key, tag } = serverKey(keyEncryptionSecret)
  const expected = stored?.split('$') ?? [SCHEME, tag, DUMMY]
  const actual = mac(clientId, secret, key)
  const wanted = Buffer.from(expected[2] ?? '', 'base64url')
  const sameShape = expected.length === 3 && expected[0] === SCHEME && expected[1] === tag
  const equal = wanted.length === actual.length && timingSafeEqual(wanted, actual)
  return stored !== null && sameShape && equal
}
