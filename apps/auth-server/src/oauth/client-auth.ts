import { normalizeIP, type RateLimitOptions } from '@fastify/rate-limit'
import type { FastifyRequest } from 'fastify'
import type { AuthServerContext } from '../context.js'
import { InvalidClient, InvalidRequest, TooManyRequests } from '../errors.js'
import type { Client, TokenEndpointAuthMethod } from '../storage/index.js'
import { checkClientSecret, hashClientSecret, needsRehash } from './client-secret.js'
import { hasControlCharacters, MAX_PARAM_LENGTH, optional, type Params } from './params.js'

interface Presented {
  method: TokenEndpointAuthMethod
  clientId: string
  secret?: string
}

/** RFC 6749 §2.3.1: the Basic credentials are each form-urlencoded before being joined and base64-encoded. */
function fromBasic(header: string): Presented {
  const decoded = Buffer.from(header.slice(5).trim(), 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 1) throw new InvalidClient('malformed HTTP Basic credentials', true)
  let clientId: string
  let secret: string
  try {
    clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '))
    secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '))
  } catch {
    throw new InvalidClient('malformed HTTP Basic credentials', true)
  }
  if (
    hasControlCharacters(clientId) ||
    clientId.length > MAX_PARAM_LENGTH ||
    secret.length > MAX_PARAM_LENGTH
  )
    throw new InvalidClient('malformed HTTP Basic credentials', true)
  return { method: 'client_secret_basic', clientId, secret }
}

function presented(request: FastifyRequest, params: Params): Presented {
  const header = request.headers.authorization
  const bodyId = optional(params, 'client_id')
  const bodySecret = optional(params, 'client_secret')
  // RFC 6749 §5.2: any attempt at Basic (even `Basic` alone) is answered with a Basic challenge.
  if (header && /^basic(?: |$)/i.test(header)) {
    // RFC 6749 §2.3: a client must not use more than one authentication method per request.
    if (bodySecret !== undefined) throw new InvalidRequest('use either HTTP Basic or client_secret, not both')
    const basic = fromBasic(header)
    if (bodyId !== undefined && bodyId !== basic.clientId) {
      throw new InvalidRequest('client_id does not match the HTTP Basic credentials')
    }
    return basic
  }
  if (bodyId === undefined) throw new InvalidClient('client authentication is required')
  if (bodySecret !== undefined) return { method: 'client_secret_post', clientId: bodyId, secret: bodySecret }
  return { method: 'none', clientId: bodyId }
}

/**
 * Failed secret checks per (client id, source) and window before that source is answered 429 without a check.
 * Counting per client id alone would let anyone lock a real client out by failing on purpose.
 */
const MAX_SECRET_FAILURES = 10

/**
 * Authenticates the client of a token, revocation or introspection request. Public clients (`none`)
 * identify themselves with `client_id` only; confidential ones must prove their secret.
 */
export async function authenticateClient(
  request: FastifyRequest,
  params: Params,
  ctx: AuthServerContext,
): Promise<Client> {
  const { storage, config } = ctx
  const credentials = presented(request, params)
  const usedBasic = credentials.method === 'client_secret_basic'
  const client = await storage.clients.find(credentials.clientId)
  if (credentials.secret !== undefined) {
    const failures = `client:${normalizeIP(request.ip)}:${credentials.clientId}`
    const nowMs = ctx.now() * 1000
    const windowMs = config.rateLimitWindow * 1000
    const tooMany = (resetAt: number) =>
      new TooManyRequests(
        'too many failed client authentications from this address, retry later',
        Math.max(1, Math.ceil((resetAt - nowMs) / 1000)),
      )
    const before = await storage.counters.peek(failures, nowMs)
    if (before.count >= MAX_SECRET_FAILURES) throw tooMany(before.resetAt)
    const stored = client?.secretHash ?? null
    const ok = await checkClientSecret(
      credentials.clientId,
      credentials.secret,
      stored,
      config.keyEncryptionSecret,
    )
    if (!client || stored === null || !ok) {
      // Counted after the check: a burst still gets distinct counts, and the attempts beyond the budget are
      // answered 429; the check itself is cheap (HMAC) or gated (legacy scrypt rows).
      const { count, resetAt } = await storage.counters.hit(failures, windowMs, nowMs)
      if (count > MAX_SECRET_FAILURES) throw tooMany(resetAt)
      throw new InvalidClient('client authentication failed', usedBasic)
    }
    if (needsRehash(stored, config.keyEncryptionSecret)) {
      const next = hashClientSecret(client.client_id, credentials.secret, config.keyEncryptionSecret)
      await storage.clients.replaceSecretHash(client.client_id, stored, next)
    }
  } else if (!client) {
    throw new InvalidClient('client authentication failed', usedBasic)
  }
  if (!client.token_endpoint_auth_methods.includes(credentials.method)) {
    throw new InvalidClient(`this client does not use ${credentials.method} authentication`, usedBasic)
  }
  return client
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The client a request of the client-authenticated scope proved to be; read it through `clientOf`. */
    client: Client | null
  }
}

/**
 * The authenticated client of a token, revocation or introspection request. Throws (a 500: a routing mistake,
 * never the caller's) when the route was registered outside the client-authenticated scope.
 */
export function clientOf(request: FastifyRequest): Client {
  const { client } = request
  if (!client) throw new Error(`${request.routeOptions.url} is not in the client-authenticated scope`)
  return client
}

/** What the client-authenticated scope hands each of its route plugins: the route's own rate limit. */
export interface ClientRouteOptions {
  rateLimit: RateLimitOptions
}
