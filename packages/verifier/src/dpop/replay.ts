import { verifierError } from '../errors.js'

/**
 * Where proof `jti`s are remembered (RFC 9449 §11.1), so a captured proof cannot be replayed within its `iat` window.
 * The default is {@link MemoryReplayStore}, one per verifier: enough for one process. When several replicas serve the
 * same clients, give them one shared store (Redis `SET key 1 NX PXAT expiresAt`, a database table with a unique key),
 * or a proof replayed to another replica passes there.
 *
 * @example
 * ```ts
 * const store: DpopReplayStore = {
 *   async add(key, expiresAt) {
 *     return (await redis.set(`dpop:${key}`, '1', { NX: true, PXAT: expiresAt })) === 'OK'
 *   },
 * }
 * createVerifier({ issuer, audience, dpop: { mode: 'allowed', replayStore: store } })
 * ```
 */
export interface DpopReplayStore {
  /**
   * Records `key` until `expiresAt` (ms since the epoch). Returns `false` when the key is already recorded and not yet
   * expired (a replay). `key` is a hex SHA-256 of the proof key's thumbprint and the `jti`. Throwing (or rejecting)
   * refuses the request with a 503, never lets it through.
   */
  add(key: string, expiresAt: number): boolean | Promise<boolean>
}

/**
 * The default replay store: a Map bounded by `max` entries, each kept only until its proof would be refused as too
 * old anyway. When full of live entries it refuses new proofs (503) rather than forget a `jti` that could then be
 * replayed.
 *
 * @example
 * ```ts
 * const store = new MemoryReplayStore(100_000)
 * await store.add('a1b2…', Date.now() + 65_000) // true; false the second time
 * ```
 */
export class MemoryReplayStore implements DpopReplayStore {
  readonly #seen = new Map<string, number>()

  constructor(private readonly max = 100_000) {}

  add(key: string, expiresAt: number): boolean {
    const now = Date.now()
    const known = this.#seen.get(key)
    if (known !== undefined && known > now) return false
    if (this.#seen.size >= this.max) {
      for (const [k, until] of this.#seen) if (until <= now) this.#seen.delete(k)
      if (this.#seen.size >= this.max) {
        throw verifierError(
          'VERIFIER_ERR_DPOP_REPLAY_UNAVAILABLE',
          'DPoP proofs cannot be checked right now',
          {
            cause: new Error(`the DPoP replay cache holds ${this.max} live proofs`),
            retryAfter: Math.max(1, Math.ceil((Math.min(...this.#seen.values()) - now) / 1000)),
          },
        )
      }
    }
    this.#seen.set(key, expiresAt)
    return true
  }
}
