import { randomUUID } from 'node:crypto'
import type { Queryable } from '@stateless-auth/sql'
import { type CryptoKey, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose'
import type { AuthServerConfig, SigningAlg } from '../config.js'
import { KeyStoreError, RotationPending } from '../errors.js'
import type { Storage, StoredKey } from '../storage/index.js'
import { decryptPrivateKey, encryptPrivateKey, isEncrypted } from './encryption.js'

export interface SigningKey {
  kid: string
  alg: SigningAlg
  key: CryptoKey
}

export type KeyConfig = Pick<
  AuthServerConfig,
  'signingAlg' | 'keyEncryptionSecret' | 'jwksMaxAge' | 'accessTokenTtl' | 'clockSkew' | 'keyRotationInterval'
>

/** At most this many keys in the JWKS: a rotation beyond it is refused until the oldest drops out. */
const MAX_PUBLISHED_KEYS = 10

/**
 * Signing keys with a life cycle that never breaks a token in flight:
 * pending (published, not signing, for at least the JWKS max-age so every cache has it) → active (signs) →
 * retired (a newer key signs; still published until the last token it signed has expired) → dropped.
 * State lives in the database so replicas and restarts agree on it.
 */
export class SigningKeys {
  private readonly privateKeys = new Map<string, CryptoKey>()
  /** The last rotation started in this process (see `rotate`). */
  private rotating: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly storage: Storage,
    private readonly config: KeyConfig,
    private readonly now: () => number,
  ) {}

  /** First start: one key that signs at once. Later starts with another `SIGNING_ALG` rotate to it. */
  async ensure(): Promise<void> {
    await this.encryptClearKeys()
    if ((await this.storage.keys.live(this.now())).length > 0) {
      await this.rotateIfAlgChanged()
      await this.signingKey()
      return
    }
    // Generated outside the lock (RSA takes a while); only the replica that finds the table empty inserts.
    const candidate = await this.generate(this.now())
    await this.storage.keys.exclusive(async (tx) => {
      if ((await this.storage.keys.live(this.now(), tx)).length === 0)
        await this.storage.keys.insert(candidate, tx)
    })
    await this.rotateIfAlgChanged()
    // Decrypt now, so a missing or wrong KEY_ENCRYPTION_SECRET stops the start instead of failing every request.
    await this.signingKey()
  }

  /**
   * A store that began without KEY_ENCRYPTION_SECRET holds its private keys in the clear: once a secret is set,
   * they are sealed like new ones, so "encrypted at rest" holds for every key, not only those created later.
   */
  private async encryptClearKeys(): Promise<void> {
    const secret = this.config.keyEncryptionSecret
    if (!secret) return
    const clear = (await this.storage.keys.all()).filter((key) => !isEncrypted(key.privateKey))
    for (const key of clear) {
      const sealed = encryptPrivateKey(key.privateKey, key.kid, secret)
      await this.storage.keys.replacePrivateKey(key.kid, key.privateKey, sealed)
    }
  }

  /**
   * Publishes a new key now; it signs once every JWKS cache has had time to see it. Refused while an earlier new
   * key is still pending (issue 12, item 2): each rotation would otherwise add a key that no cache may have seen
   * yet, and 25 rotations in a few seconds pushed the signing key out of verifiers that keep 20 keys.
   * With one pending key at most, the JWKS holds at most retired + active + pending keys.
   */
  rotate(): Promise<StoredKey> {
    // One rotation at a time per process: concurrent requests wait for it and are then refused at once,
    // instead of each generating a key (RSA takes a while) only to be refused under the lock.
    const run = this.rotating.then(() => this.rotateNow())
    this.rotating = run.catch(() => undefined)
    return run
  }

  private async rotateNow(): Promise<StoredKey> {
    await this.refuseWhilePending()
    const key = await this.generate(this.now() + this.config.jwksMaxAge)
    await this.storage.keys.exclusive(async (tx) => {
      // Checked again under the lock: concurrent requests (or replicas) may have rotated meanwhile.
      await this.refuseWhilePending(tx)
      await this.install(key, tx)
    })
    return key
  }

  /** Scheduled rotation: rotates when the newest key is older than the interval; safe to call from replicas. */
  async rotateIfDue(): Promise<boolean> {
    const interval = this.config.keyRotationInterval
    if (interval <= 0 || !(await this.dueFor(interval))) return false
    const key = await this.generate(this.now() + this.config.jwksMaxAge)
    return this.storage.keys.exclusive(async (tx) => {
      // Another replica may have rotated while this one generated its key.
      if (!(await this.dueFor(interval, tx))) return false
      await this.install(key, tx)
      return true
    })
  }

  /** The key that will sign next but does not yet, if any. */
  private async pending(tx?: Queryable): Promise<StoredKey | undefined> {
    const now = this.now()
    return (await this.storage.keys.live(now, tx)).find((key) => key.activatesAt > now)
  }

  private async refuseWhilePending(tx?: Queryable): Promise<void> {
    const now = this.now()
    const live = await this.storage.keys.live(now, tx)
    const pending = live.find((key) => key.activatesAt > now)
    if (pending) {
      const wait = pending.activatesAt - now
      throw new RotationPending(
        `key ${pending.kid} is still pending publication; rotate again once it signs, in ${wait} s`,
        wait,
      )
    }
    // With JWKS_MAX_AGE=0 nothing is ever pending: bound the published keys instead, well under the 20 a
    // verifier keeps, until the oldest retired key drops out.
    if (live.length >= MAX_PUBLISHED_KEYS) {
      const firstDrop = Math.min(...live.map((key) => key.dropAfter ?? Number.POSITIVE_INFINITY))
      const wait = Number.isFinite(firstDrop) ? Math.max(1, firstDrop - now) : 60
      throw new RotationPending(
        `${live.length} keys are published already; rotate again once the oldest drops out, in ${wait} s`,
        wait,
      )
    }
  }

  /** Due when the newest key is older than the interval and none is pending (a schedule simply waits). */
  private async dueFor(interval: number, tx?: Queryable): Promise<boolean> {
    return (await this.newestOlderThan(interval, tx)) && !(await this.pending(tx))
  }

  private async rotateIfAlgChanged(): Promise<void> {
    const algChanged = async (tx?: Queryable) => {
      const newest = (await this.storage.keys.live(this.now(), tx)).at(-1)
      return newest !== undefined && newest.alg !== this.config.signingAlg
    }
    if (!(await algChanged())) return
    const key = await this.generate(this.now() + this.config.jwksMaxAge)
    // Replicas restarted together with the new SIGNING_ALG: only the first to take the lock installs a key.
    await this.storage.keys.exclusive(async (tx) => {
      if (await algChanged(tx)) await this.install(key, tx)
    })
  }

  private async newestOlderThan(interval: number, tx?: Queryable): Promise<boolean> {
    const newest = (await this.storage.keys.live(this.now(), tx)).at(-1)
    return !newest || newest.createdAt + interval <= this.now()
  }

  private async install(key: StoredKey, tx: Queryable): Promise<void> {
    await this.storage.keys.insert(key, tx)
    // The old keys sign until the new one activates; their last tokens expire one lifetime (+ skew) later.
    const dropAfter = key.activatesAt + this.config.accessTokenTtl + this.config.clockSkew
    await this.storage.keys.retireOthers(key.kid, key.activatesAt, dropAfter, tx)
  }

  /** The key that signs now: the most recently activated one. */
  async signingKey(): Promise<SigningKey> {
    const now = this.now()
    const active = (await this.storage.keys.live(now)).filter((k) => k.activatesAt <= now).at(-1)
    if (!active) throw new KeyStoreError('no active signing key: the key store was not initialised')
    let key = this.privateKeys.get(active.kid)
    if (!key) {
      const jwk = JSON.parse(
        decryptPrivateKey(active.privateKey, active.kid, this.config.keyEncryptionSecret),
      )
      key = (await importJWK(jwk as JWK, active.alg)) as CryptoKey
      this.privateKeys.set(active.kid, key)
    }
    return { kid: active.kid, alg: active.alg as SigningAlg, key }
  }

  /** RFC 7517 JWK Set of every published key: pending, active and retired-but-not-dropped. Public parts only. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const live = await this.storage.keys.live(this.now())
    return { keys: live.map((k) => JSON.parse(k.publicJwk) as JWK) }
  }

  async list(): Promise<StoredKey[]> {
    return this.storage.keys.live(this.now())
  }

  private async generate(activatesAt: number): Promise<StoredKey> {
    const alg = this.config.signingAlg
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
    const kid = randomUUID()
    // RFC 8725 §3.1: one algorithm per key, stated in the JWK so verifiers need not guess.
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
    const privateJwk = JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg })
    return {
      kid,
      alg,
      publicJwk: JSON.stringify(publicJwk),
      privateKey: encryptPrivateKey(privateJwk, kid, this.config.keyEncryptionSecret),
      createdAt: this.now(),
      activatesAt,
      retiresAt: null,
      dropAfter: null,
    }
  }
}
