import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  randomUUID,
  sign,
} from 'node:crypto'

/** What one DPoP proof (RFC 9449 §4.2) is for. */
export interface DpopProofInput {
  /** `htm`: the request's method. */
  method: string
  /** `htu`: the URL requested; query and fragment are left out of the proof. */
  url: string | URL
  /** The access token sent with the proof, for `ath`; none at the token endpoint. */
  accessToken?: string
  /** The server's latest `DPoP-Nonce`, when it asked for one. */
  nonce?: string
  /** `iat` in seconds; default now. */
  iat?: number
  /** `jti`; default a fresh UUID (a proof is good once). */
  jti?: string
}

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url')

/**
 * A client's DPoP key: an ES256 (P-256) key pair whose public half goes in every proof's header and whose RFC 7638
 * thumbprint (`jkt`) the authorization server writes into the tokens it issues (`cnf.jkt`). The private half never
 * leaves the client; `toPrivateJwk()` exists for a server-side session store.
 *
 * @example
 * ```ts
 * const key = DpopKey.generate()
 * const proof = key.proof({ method: 'GET', url: 'https://api.example/orders', accessToken })
 * await fetch('https://api.example/orders', { headers: { authorization: `DPoP ${accessToken}`, dpop: proof } })
 * ```
 */
export class DpopKey {
  readonly #privateKey: KeyObject
  readonly #header: string
  /** The public key as a JWK (`kty`, `crv`, `x`, `y`). */
  readonly publicJwk: JsonWebKey
  /** RFC 7638 SHA-256 thumbprint of the public key, base64url: what a bound token's `cnf.jkt` holds. */
  readonly jkt: string

  private constructor(privateKey: KeyObject) {
    this.#privateKey = privateKey
    const { kty, crv, x, y } = createPublicKey(privateKey).export({ format: 'jwk' })
    this.publicJwk = { kty, crv, x, y }
    // RFC 7638 §3.2: the required members in lexicographic order, no whitespace.
    this.jkt = createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url')
    this.#header = b64url(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: this.publicJwk }))
  }

  /** A new P-256 key pair. */
  static generate(): DpopKey {
    return new DpopKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)
  }

  /** The key saved with {@link DpopKey.toPrivateJwk}; throws when it is not a P-256 private key. */
  static fromPrivateJwk(jwk: JsonWebKey): DpopKey {
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.d !== 'string') {
      throw new TypeError('a DPoP key must be a P-256 private JWK')
    }
    return new DpopKey(createPrivateKey({ key: jwk, format: 'jwk' }))
  }

  /** The private key as a JWK, for a server-side store only: whoever reads it can use every token bound to it. */
  toPrivateJwk(): JsonWebKey {
    return this.#privateKey.export({ format: 'jwk' })
  }

  /** A signed proof (`typ: dpop+jwt`, ES256) for one request. */
  proof(input: DpopProofInput): string {
    const url = new URL(input.url)
    const payload: Record<string, unknown> = {
      jti: input.jti ?? randomUUID(),
      htm: input.method.toUpperCase(),
      htu: `${url.origin}${url.pathname}`,
      iat: input.iat ?? Math.floor(Date.now() / 1000),
    }
    if (input.accessToken !== undefined) {
      payload.ath = createHash('sha256').update(input.accessToken).digest('base64url')
    }
    if (input.nonce !== undefined) payload.nonce = input.nonce
    const signingInput = `${this.#header}.${b64url(JSON.stringify(payload))}`
    const signature = sign('sha256', Buffer.from(signingInput), {
      key: this.#privateKey,
      dsaEncoding: 'ieee-p1363',
    })
    return `${signingInput}.${signature.toString('base64url')}`
  }
}
