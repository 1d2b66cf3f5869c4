import * as crypto from 'node:crypto'
import type { AccessTokenClaims } from './claims.js'
import type { StatusRef } from './status/status-lists.js'

// A cache hit is mostly this hash: the one-shot crypto.hash() (Node ≥ 20.12) where it exists, else createHash (same
// digest). The key is the raw digest as a latin1 string: cheaper than base64, smaller in the Map.
const sha256: (token: string) => string =
  typeof crypto.hash === 'function'
    ? (token) => crypto.hash('sha256', token, 'binary')
    : (token) => crypto.createHash('sha256').update(token).digest('binary')

interface Entry {
  claims: Readonly<AccessTokenClaims>
  kid: string
  /** The token's status list reference: a hit is checked against the current list on every use. */
  status: StatusRef | undefined
  /** ms timestamp after which the entry is dead: the token's own `exp`, never later. */
  expiresAt: number
}

/**
 * Verified-token cache: bounded LRU keyed by SHA-256 of the token (the token itself is never kept), each entry
 * dying at the token's `exp`. A Map keeps insertion order, so re-inserting on hit makes the first key the
 * least recently used one.
 */
export class TokenCache {
  readonly #entries = new Map<string, Entry>()

  constructor(private readonly max: number) {}

  static keyOf(token: string): string {
    return sha256(token)
  }

  get(key: string, now: number): Entry | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    this.#entries.delete(key)
    if (now >= entry.expiresAt) return undefined
    this.#entries.set(key, entry)
    return entry
  }

  set(key: string, claims: Readonly<AccessTokenClaims>, kid: string, status?: StatusRef): void {
    // RFC 7519 §4.1.4: the token must not be accepted on or after exp, so neither may its cache entry.
    const expiresAt = claims.exp * 1000
    this.#entries.delete(key)
    if (this.#entries.size >= this.max) {
      const oldest = this.#entries.keys().next()
      if (!oldest.done) this.#entries.delete(oldest.value)
    }
    this.#entries.set(key, { claims, kid, status, expiresAt })
  }

  clear(): void {
    this.#entries.clear()
  }

  get size(): number {
    return this.#entries.size
  }
}
