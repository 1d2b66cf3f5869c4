import {
  constants,
  generateKeyPairSync,
  type KeyObject,
  randomUUID,
  type SignKeyObjectInput,
  sign,
} from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { Algorithm } from './targets.js'

export const ALGORITHMS: readonly Algorithm[] = ['RS256', 'PS256', 'ES256', 'EdDSA']

interface SigningKey {
  kid: string
  alg: Algorithm
  privateKey: KeyObject
  jwk: Record<string, unknown>
  /** base64url of the protected header, the same for every token of this key. */
  header: string
}

function keyPair(alg: Algorithm) {
  if (alg === 'ES256') return generateKeyPairSync('ec', { namedCurve: 'P-256' })
  if (alg === 'EdDSA') return generateKeyPairSync('ed25519')
  return generateKeyPairSync('rsa', { modulusLength: 2048 })
}

// RFC 7518 §3.3–3.5 and RFC 8037 §3.1: how each JWS algorithm signs with node:crypto.
function signInput(alg: Algorithm, key: KeyObject): { digest: string | null; key: SignKeyObjectInput } {
  if (alg === 'PS256')
    return { digest: 'sha256', key: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } }
  if (alg === 'ES256') return { digest: 'sha256', key: { key, dsaEncoding: 'ieee-p1363' } }
  if (alg === 'EdDSA') return { digest: null, key: { key } }
  return { digest: 'sha256', key: { key } }
}

/**
 * A stand-in authorization server for the scenarios that need many tokens or several algorithms: one key per
 * algorithm, a JWKS on 127.0.0.1, and RFC 9068 access tokens signed directly with node:crypto (fast enough to
 * sign a million distinct EdDSA tokens while they are being sent).
 */
export class BenchIssuer {
  jwksRequests = 0
  private constructor(
    readonly url: string,
    private readonly server: Server,
    private readonly keys: Map<Algorithm, SigningKey>,
  ) {}

  get jwksUri(): string {
    return `${this.url}/jwks`
  }

  static async start(algorithms: readonly Algorithm[] = ALGORITHMS): Promise<BenchIssuer> {
    const keys = new Map<Algorithm, SigningKey>()
    for (const alg of algorithms) {
      const { publicKey, privateKey } = keyPair(alg)
      const kid = `bench-${alg.toLowerCase()}`
      const header = Buffer.from(JSON.stringify({ alg, typ: 'at+jwt', kid })).toString('base64url')
      keys.set(alg, {
        kid,
        alg,
        privateKey,
        header,
        jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' },
      })
    }
    const body = JSON.stringify({ keys: [...keys.values()].map((k) => k.jwk) })
    let issuer: BenchIssuer | undefined
    const server = createServer((request, response) => {
      if (request.url !== '/jwks') {
        response.writeHead(404).end()
        return
      }
      if (issuer) issuer.jwksRequests++
      response.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(body)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as { port: number }
    issuer = new BenchIssuer(`http://127.0.0.1:${port}`, server, keys)
    return issuer
  }

  /** A valid access token for `audience`, distinct from every other one (its own `jti` and `sub`). */
  token(
    alg: Algorithm,
    audience: string,
    lifetimeSeconds = 3600,
    extra: Record<string, unknown> = {},
  ): string {
    const key = this.keys.get(alg)
    if (!key) throw new RangeError(`no ${alg} key`)
    const now = Math.floor(Date.now() / 1000)
    const jti = randomUUID()
    const payload = {
      iss: this.url,
      sub: `user-${jti.slice(0, 8)}`,
      aud: audience,
      client_id: 'bench-client',
      scope: 'inventory:read',
      iat: now,
      exp: now + lifetimeSeconds,
      jti,
      ...extra,
    }
    const input = `${key.header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`
    const how = signInput(alg, key.privateKey)
    return `${input}.${sign(how.digest, Buffer.from(input), how.key).toString('base64url')}`
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}
