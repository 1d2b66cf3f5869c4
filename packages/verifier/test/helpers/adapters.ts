import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  createVerifier,
  errorResponse,
  type Verifier,
  type VerifierErrorCode,
  type VerifierOptions,
} from '@stateless-auth/verifier'
import verifierPlugin from '@stateless-auth/verifier/fastify'
import { type AuthenticatedRequest, createAuthMiddleware } from '@stateless-auth/verifier/node'
import Fastify, { type FastifyInstance } from 'fastify'

export interface Answer {
  status: number
  headers: Record<string, string | undefined>
  body: { error?: string; error_description?: string; sub?: string }
}

/** One way of putting the verifier in front of a resource, driven by an Authorization header. */
export interface Harness {
  name: string
  verifier: Verifier
  /** Codes of failures, in order (from the `verification_failed` event). */
  codes: VerifierErrorCode[]
  call(authorization: string | undefined): Promise<Answer>
  close(): Promise<void>
}

export const REALM = 'orders'
export const ADAPTERS = ['core', 'fastify', 'node:http', 'express-style'] as const
export type AdapterName = (typeof ADAPTERS)[number]

function observed(options: VerifierOptions) {
  const codes: VerifierErrorCode[] = []
  const verifier = createVerifier({
    ...options,
    onEvent: (e) => {
      if (e.type === 'verification_failed') codes.push(e.code)
      options.onEvent?.(e)
    },
  })
  return { codes, verifier }
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

async function httpCall(base: string, authorization: string | undefined): Promise<Answer> {
  const res = await fetch(`${base}/orders`, { headers: authorization === undefined ? {} : { authorization } })
  return {
    status: res.status,
    headers: Object.fromEntries(res.headers.entries()),
    body: (await res.json()) as Answer['body'],
  }
}

/** Builds the named adapter around a fresh verifier; the protected resource needs `orders:read`. */
export async function buildHarness(name: AdapterName, options: VerifierOptions): Promise<Harness> {
  const { codes, verifier } = observed(options)
  if (name === 'core') {
    return {
      name,
      verifier,
      codes,
      async call(authorization) {
        try {
          const claims = await verifier.authenticate(authorization)
          return { status: 200, headers: {}, body: { sub: claims.sub } }
        } catch (err) {
          const { statusCode, headers, body } = errorResponse(err, { realm: REALM })
          return { status: statusCode, headers, body }
        }
      },
      close: () => verifier.close(),
    }
  }
  if (name === 'fastify') {
    const app: FastifyInstance = Fastify()
    await app.register(verifierPlugin, { verifier, realm: REALM })
    app.get('/orders', { config: { auth: { scopes: ['orders:read'] } } }, async (request) => ({
      sub: request.auth?.sub,
    }))
    await app.ready()
    return {
      name,
      verifier,
      codes,
      async call(authorization) {
        const res = await app.inject({
          url: '/orders',
          headers: authorization === undefined ? {} : { authorization },
        })
        return {
          status: res.statusCode,
          headers: res.headers as Record<string, string>,
          body: res.json(),
        }
      },
      close: async () => {
        await app.close()
        await verifier.close()
      },
    }
  }
  const { origin, close } = await serveMiddleware(verifier, name)
  return { name, verifier, codes, call: (authorization) => httpCall(origin, authorization), close }
}

/**
 * Guards every path of a node:http server on 127.0.0.1:0 with the middleware (`orders:read`, realm REALM), called
 * as node:http does or as Express does (with `next`), and answers `{ sub }`. `close` closes server and verifier.
 */
export async function serveMiddleware(
  verifier: Verifier,
  style: 'node:http' | 'express-style',
): Promise<{ origin: string; close(): Promise<void> }> {
  const auth = createAuthMiddleware(verifier, { scopes: ['orders:read'], realm: REALM })
  const answer = (req: IncomingMessage, res: ServerResponse) =>
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ sub: (req as AuthenticatedRequest).auth?.sub }))
  const server =
    style === 'node:http'
      ? createServer(async (req, res) => {
          if (await auth(req, res)) answer(req, res)
        })
      : createServer((req, res) => {
          // Express calls middleware as (req, res, next) and ignores its return value.
          void auth(req, res, (err?: unknown) => {
            if (err) throw err
            answer(req, res)
          })
        })
  const origin = await listen(server)
  return {
    origin,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await verifier.close()
    },
  }
}
