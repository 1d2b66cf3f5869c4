// Child process of fastify.bench.mjs: one Fastify server guarding GET /resource in one way (argv[2]).
// It answers the parent's IPC questions: 'cpu' (µs of CPU used so far) and 'close'.
import { createVerifier as fastJwtVerifier } from 'fast-jwt'
import Fastify from 'fastify'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { createVerifier } from '../dist/index.js'

// `baseline:<mode>` runs <mode> with the plugin of another build (BENCH_BASELINE, a dist directory), to compare a
// change with what it replaces in the same run.
const [row] = process.argv.slice(2)
const baseline = row.startsWith('baseline:')
const mode = baseline ? row.slice('baseline:'.length) : row
const pluginUrl = baseline
  ? new URL('adapters/fastify.js', `file://${process.env.BENCH_BASELINE.replace(/\/?$/, '/')}`)
  : new URL('../dist/adapters/fastify.js', import.meta.url)
const { default: verifierPlugin } = await import(pluginUrl.href)
const { issuer, audience, jwksUri, pem } = JSON.parse(process.env.BENCH_CONFIG ?? '{}')
const BODY = { sku: 'bench-1', name: 'Benchmark widget', available: 42 }
const REQUIRED = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti']
const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/

const unauthorized = (reply) => reply.code(401).send({ error: 'invalid_token' })

const app = Fastify({ logger: false })
let routeOptions = {}
switch (mode) {
  case 'none':
    break
  case 'plugin':
  case 'plugin-cache':
    await app.register(verifierPlugin, {
      issuer,
      audience,
      jwksUri,
      algorithms: ['RS256'],
      cache: mode === 'plugin-cache' ? { max: 1000 } : false,
    })
    routeOptions = { preHandler: app.authenticate }
    break
  case 'hooks':
    // Two async no-op hooks, the shape of most auth plugins: Fastify's own share of any hook-based check.
    app.addHook('onRequest', async () => {})
    routeOptions = { preHandler: async () => {} }
    break
  case 'plugin-unused':
    // Registered, but the route is not guarded: what the instance-wide onRequest hook costs every other route.
    await app.register(verifierPlugin, { issuer, audience, jwksUri, algorithms: ['RS256'] })
    break
  case 'plugin-config':
    await app.register(verifierPlugin, { issuer, audience, jwksUri, algorithms: ['RS256'] })
    routeOptions = { config: { auth: { scopes: ['orders:read'] } } }
    break
  case 'core': {
    // The core alone in a bare preHandler: the floor the plugin can reach.
    const verifier = createVerifier({ issuer, audience, jwksUri, algorithms: ['RS256'] })
    routeOptions = {
      preHandler: async (request, reply) => {
        try {
          request.auth = await verifier.authenticate(request.headers.authorization)
        } catch {
          return unauthorized(reply)
        }
      },
    }
    break
  }
  case 'raw': {
    // Raw fast-jwt with the key in hand, at the same settings.
    const verify = fastJwtVerifier({
      key: pem,
      algorithms: ['RS256'],
      allowedIss: issuer,
      allowedAud: audience,
      checkTyp: 'at+jwt',
      requiredClaims: REQUIRED,
    })
    routeOptions = {
      preHandler: async (request, reply) => {
        const token = BEARER.exec(request.headers.authorization ?? '')?.[1]
        try {
          request.auth = verify(token)
        } catch {
          return unauthorized(reply)
        }
      },
    }
    break
  }
  case 'jose': {
    const jwks = createRemoteJWKSet(new URL(jwksUri))
    routeOptions = {
      preHandler: async (request, reply) => {
        const token = BEARER.exec(request.headers.authorization ?? '')?.[1]
        if (token === undefined) return unauthorized(reply)
        try {
          await jwtVerify(token, jwks, {
            issuer,
            audience,
            algorithms: ['RS256'],
            typ: 'at+jwt',
            requiredClaims: REQUIRED,
          })
        } catch {
          return unauthorized(reply)
        }
      },
    }
    break
  }
  default:
    throw new Error(`unknown mode ${mode}`)
}
app.get('/resource', routeOptions, async () => BODY)
await app.listen({ port: 0, host: '127.0.0.1' })

process.on('message', async (message) => {
  if (message === 'cpu') {
    const { user, system } = process.cpuUsage()
    process.send({ cpu: user + system })
  } else if (message === 'close') {
    await app.close()
    process.exit(0)
  }
})
process.send({ url: `http://127.0.0.1:${app.server.address().port}` })
