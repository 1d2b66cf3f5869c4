import type { RateLimitOptions } from '@fastify/rate-limit'
import type { FastifyRequest } from 'fastify'
import { dummyHash, sha256, verifySecret } from '../crypto.js'
import { InvalidClient, InvalidRequest } from '../errors.js'
import type { Client, Storage, TokenEndpointAuthMethod } from '../storage/index.js'
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

// scrypt is deliberately slow; a confidential client presents the same secret on every call, so a successful
// check is remembered by (stored hash, SHA-256 of the secret). A changed secret or hash misses the cache.
const verified = new Map<string, Promise<boolean>>()
function secretMatches(secret: string, stored: string): Promise<boolean> {
  const key = `${stored}\u0000${sha256(secret)}`
  let result = verified.get(key)
  if (!result) {
    // Concurrent requests with the same credentials share one scrypt run; only successes stay cached.
    result = verifySecret(secret, stored)
    if (verified.size >= 1000) verified.clear()
    verified.set(key, result)
    result.then(
      (ok) => ok || verified.delete(key),
      () => verified.delete(key),
    )
  }
  return result
}

/**
 * Authenticates the client of a token, revocation or introspection request. Public clients (`none`)
 * identify themselves with `client_id` only; confidential ones must prove their secret.
 */
export async function authenticateClient(
  request: FastifyRequest,
  params: Params,
  storage: Storage,
): Promise<Client> {
  const credentials = presented(request, params)
  const usedBasic = credentials.method === 'client_secret_basic'
  const client = await storage.clients.find(credentials.clientId)
  if (credentials.secret !== undefined) {
    // Verify even for an unknown client so the response time does not reveal which client ids exist.
    const ok = await secretMatches(credentials.secret, client?.secretHash ?? (await dummyHash()))
    if (!client?.secretHash || !ok) throw new InvalidClient('client authentication failed', usedBasic)
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
