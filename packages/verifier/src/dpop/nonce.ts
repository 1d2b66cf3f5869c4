import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * Stateless resource-server nonces (RFC 9449 §9): `<step>.<HMAC-SHA256(secret, step)>`, where a step is `lifetime`
 * seconds. A nonce of the current or the previous step is accepted, so every replica sharing the secret agrees and
 * none keeps state.
 */
export class NonceIssuer {
  readonly #secret: Buffer
  readonly #stepMs: number
  #cached: { step: number; nonce: string } | undefined

  constructor(secret: Buffer, lifetimeSeconds: number) {
    this.#secret = secret
    this.#stepMs = lifetimeSeconds * 1000
  }

  #mac(step: number): string {
    return createHmac('sha256', this.#secret).update(`dpop-nonce.${step}`).digest('base64url')
  }

  /** The nonce to hand out now. */
  current(now: number): string {
    const step = Math.floor(now / this.#stepMs)
    if (this.#cached?.step !== step) this.#cached = { step, nonce: `${step.toString(36)}.${this.#mac(step)}` }
    return this.#cached.nonce
  }

  /** Whether `nonce` was issued by a holder of the secret during the current or the previous step. */
  valid(nonce: unknown, now: number): boolean {
    if (typeof nonce !== 'string' || nonce.length > 64) return false
    const dot = nonce.indexOf('.')
    const step = Number.parseInt(nonce.slice(0, dot), 36)
    const current = Math.floor(now / this.#stepMs)
    if (dot <= 0 || !Number.isSafeInteger(step) || (step !== current && step !== current - 1)) return false
    const given = Buffer.from(nonce.slice(dot + 1))
    const expected = Buffer.from(this.#mac(step))
    return given.length === expected.length && timingSafeEqual(given, expected)
  }
}
