import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto'
import { Agent, request as httpRequest } from 'node:http'
import fastifyJwt from '@fastify/jwt'
import verifierPlugin from '@stateless-auth/verifier/fastify'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import buildGetJwks from 'get-jwks'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { BenchError } from './errors.js'

/** The rows of the resource-cost table, each a resource server guarding the same route differently. */
export const TARGET_MODES = [
  'none',
  'verifier',
  'verifier-cache',
  'introspection',
  'jose',
  'fastify-jwt',
  'signature-only',
  'verifier-dpop',
  'verifier-dpop-cache',
  'signature-es256',
] as const
export type TargetMode = (typeof TARGET_MODES)[number]

export type Algorithm = 'RS256' | 'PS256' | 'ES256' | 'EdDSA'

export interface TargetConfig {
  mode: TargetMode
  issuer: string
  audience: string
  jwksUri: string
  algorithms: Algorithm[]
  /** Entries of our verified-token cache in `verifier-cache` mode. */
  cacheMax: number
  /** Token Status List checking in the verifier rows, as the APIs run it (defaults: maxStale 300 s). */
  status?: boolean
  /** RFC 7662 endpoint and the confidential client that may call it (`introspection` mode). */
  introspection?: { url: string; clientId: string; clientSecret: string }
}

/** What every row answers on success: the same route, the same JSON, so only the authentication differs. */
export const RESOURCE_PATH = '/resource'
export const RESOURCE_BODY = { sku: 'bench-1', name: 'Benchmark widget', available: 42 } as const

// Required on every row, as our verifier requires them (RFC 9068 §2.2).
const REQUIRED_CLAIMS = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti']

function bearerToken(request: FastifyRequest): string | undefined {
  return /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/.exec(request.headers.authorization ?? '')?.[1]
}

async function unauthorized(reply: FastifyReply): Promise<void> {
  await reply
    .code(401)
    .header('www-authenticate', 'Bearer error="invalid_token"')
    .send({ error: 'invalid_token', error_description: 'The access token is not valid' })
}

/**
 * Builds the resource server of one row. Peers are configured "at equal settings": the same issuer, audience,
 * algorithm allowlist, `typ` and required claims as our verifier; everything else is as their READMEs show.
 */
export async function buildTarget(config: TargetConfig): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  let preHandler: ((request: FastifyRequest, reply: FastifyReply) => Promise<void>) | undefined

  switch (config.mode) {
    case 'none':
      break
    case 'verifier':
    case 'verifier-cache':
    case 'verifier-dpop':
    case 'verifier-dpop-cache': {
      const dpop = config.mode === 'verifier-dpop' || config.mode === 'verifier-dpop-cache'
      await app.register(verifierPlugin, {
        issuer: config.issuer,
        audience: config.audience,
        jwksUri: config.jwksUri,
        algorithms: config.algorithms,
        cache: config.mode.endsWith('-cache') ? { max: config.cacheMax } : false,
        status: config.status === true,
        // DPoP rows (RFC 9449): the proofs are made before the run and reused each round, so the replay store is
        // a no-op and maxAge covers the run: they measure the proof check, not a store or fresh signing.
        ...(dpop
          ? { dpop: { mode: 'allowed', maxAge: 86_400, replayStore: { add: async () => true } } }
          : {}),
      })
      preHandler = app.authenticate
      break
    }
    case 'signature-es256': {
      // The DPoP rows' floor: one ES256 signature check on the thread pool with the key in hand, nothing else.
      const keys = await jwksKeys(config.jwksUri, 'ES256')
      preHandler = (request, reply) => {
        const token = bearerToken(request) ?? ''
        const dot = token.lastIndexOf('.')
        const key = keys.values().next().value
        if (dot === -1 || key === undefined) return unauthorized(reply)
        return new Promise<void>((resolve) => {
          const signature = Buffer.from(token.slice(dot + 1), 'base64url')
          cryptoVerify(
            'sha256',
            Buffer.from(token.slice(0, dot)),
            { key, dsaEncoding: 'ieee-p1363' },
            signature,
            (err, valid) => (err === null && valid ? resolve() : resolve(unauthorized(reply))),
          )
        })
      }
      break
    }
    case 'signature-only': {
      // Not a verifier: one RS256 signature check per request with the key in hand, on the thread pool
      // (crypto.verify with a callback), and nothing else: the header's kid only picks the key, no header checks,
      // claims or cache. The floor under any verifier without a cache on this machine, to read the cache-off rows
      // against.
      const keys = await rsaKeys(config.jwksUri)
      preHandler = (request, reply) => {
        const token = bearerToken(request) ?? ''
        const dot = token.lastIndexOf('.')
        const key = keys.get(
          /"kid":"([^"]+)"/.exec(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString())?.[1] ?? '',
        )
        if (dot === -1 || key === undefined) return unauthorized(reply)
        return new Promise<void>((resolve) => {
          const signature = Buffer.from(token.slice(dot + 1), 'base64url')
          cryptoVerify('sha256', Buffer.from(token.slice(0, dot)), key, signature, (err, valid) =>
            err === null && valid ? resolve() : resolve(unauthorized(reply)),
          )
        })
      }
      break
    }
    case 'introspection':
      preHandler = introspectionPreHandler(config)
      break
    case 'jose': {
      // jose's README: one remote key set per issuer, shared by every request.
      const jwks = createRemoteJWKSet(new URL(config.jwksUri))
      preHandler = async (request, reply) => {
        const token = bearerToken(request)
        if (token === undefined) return unauthorized(reply)
        try {
          await jwtVerify(token, jwks, {
            issuer: config.issuer,
            audience: config.audience,
            algorithms: config.algorithms,
            typ: 'at+jwt',
            requiredClaims: REQUIRED_CLAIMS,
          })
        } catch {
          return unauthorized(reply)
        }
      }
      break
    }
    case 'fastify-jwt': {
      // get-jwks' README integration for @fastify/jwt, with its issuer allowlist and our JWKS path.
      const getJwks = buildGetJwks({
        issuersWhitelist: [config.issuer],
        jwksPath: new URL(config.jwksUri).pathname,
      })
      await app.register(fastifyJwt, {
        decode: { complete: true },
        secret: (
          _request: FastifyRequest,
          token: unknown,
          callback: (e: Error | null, key?: string) => void,
        ) => {
          const { header, payload } = token as {
            header: { kid: string; alg: string }
            payload: { iss: string }
          }
          getJwks
            .getPublicKey({ kid: header.kid, domain: payload.iss, alg: header.alg })
            .then((key) => callback(null, key), callback)
        },
        verify: {
          allowedIss: config.issuer,
          allowedAud: config.audience,
          algorithms: config.algorithms,
          checkTyp: 'at+jwt',
          requiredClaims: REQUIRED_CLAIMS,
        },
      })
      preHandler = async (request, reply) => {
        try {
          await request.jwtVerify()
        } catch {
          return unauthorized(reply)
        }
      }
      break
    }
    default:
      throw new BenchError('BENCH_ERR_INVALID_CONFIG', `unknown target mode ${String(config.mode)}`)
  }

  app.get(RESOURCE_PATH, preHandler ? { preHandler } : {}, async () => RESOURCE_BODY)
  return app
}

/** The JWKS's RS256 keys by kid, fetched once (the signature-only row holds its keys before the load starts). */
/** The ES256 (or RS256) public keys of a JWKS by kid. */
async function jwksKeys(jwksUri: string, alg: 'ES256'): Promise<Map<string, KeyObject>> {
  const response = await fetch(jwksUri)
  if (!response.ok) throw new BenchError('BENCH_ERR_INVALID_CONFIG', `JWKS answered ${response.status}`)
  const { keys } = (await response.json()) as { keys: Array<Record<string, string>> }
  const byKid = new Map<string, KeyObject>()
  for (const jwk of keys) {
    if (jwk.alg === alg && jwk.kid !== undefined) {
      byKid.set(
        jwk.kid,
        createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, format: 'jwk' }),
      )
    }
  }
  return byKid
}

async function rsaKeys(jwksUri: string): Promise<Map<string, KeyObject>> {
  const response = await fetch(jwksUri)
  if (!response.ok) throw new BenchError('BENCH_ERR_INVALID_CONFIG', `JWKS answered ${response.status}`)
  const { keys } = (await response.json()) as { keys: Array<Record<string, string>> }
  const byKid = new Map<string, KeyObject>()
  for (const jwk of keys) {
    if (jwk.kty === 'RSA' && jwk.kid !== undefined && (jwk.alg ?? 'RS256') === 'RS256') {
      byKid.set(jwk.kid, createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' }))
    }
  }
  return byKid
}

/**
 * RFC 7662 §2: the resource server asks the authorization server about every token, authenticating as a
 * confidential client, over a keep-alive connection pool (no caching of answers, which is the point of the row).
 */
function introspectionPreHandler(config: TargetConfig) {
  const settings = config.introspection
  if (!settings) throw new BenchError('BENCH_ERR_INVALID_CONFIG', 'introspection mode needs an endpoint')
  const agent = new Agent({ keepAlive: true, maxSockets: 256 })
  const url = new URL(settings.url)
  const authorization = `Basic ${Buffer.from(
    `${encodeURIComponent(settings.clientId)}:${encodeURIComponent(settings.clientSecret)}`,
  ).toString('base64')}`

  const introspect = (token: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const body = `token=${encodeURIComponent(token)}&token_type_hint=access_token`
      const req = httpRequest(
        url,
        {
          method: 'POST',
          agent,
          headers: {
            authorization,
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': Buffer.byteLength(body),
            accept: 'application/json',
          },
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('end', () => {
            if (res.statusCode !== 200) return reject(new Error(`introspection answered ${res.statusCode}`))
            try {
              resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')))
            } catch (error) {
              reject(error)
            }
          })
          res.on('error', reject)
        },
      )
      req.on('error', reject)
      req.end(body)
    })

  return async (request: FastifyRequest, reply: FastifyReply) => {
    const token = bearerToken(request)
    if (token === undefined) return unauthorized(reply)
    let answer: Record<string, unknown>
    try {
      answer = await introspect(token)
    } catch {
      // The authorization server is down or refused us: RFC 6750 has no better answer than "try later".
      await reply.code(503).send({ error: 'temporarily_unavailable' })
      return
    }
    const aud = answer.aud
    const audiences = Array.isArray(aud) ? aud : [aud]
    // RFC 7662 §2.2: only `active` is required; the audience must still be ours (RFC 9068 §4 by analogy).
    if (answer.active !== true || !audiences.includes(config.audience)) return unauthorized(reply)
  }
}
