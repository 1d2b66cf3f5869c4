import type { FastifyRequest } from 'fastify'
import { dummyHash, verifySecret } from '../crypto.js'
import { InvalidClient, InvalidRequest } from '../errors.js'
import type { Client, Storage, TokenEndpointAuthMethod } from '../storage/index.js'
import { optional, type Params } from './params.js'

interface Presented {
  method: TokenEndpointAuthMethod
  clientId: string
  secret?: string
}

/** RFC 6749 §2.3.1: the Basic credentials are each form-urlencoded before being joined and base64-encoded. */
function fromBasic(header: string): Presented {
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 1) throw new InvalidClient('malformed HTTP Basic credentials', true)
  try {
    const clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '))
    const secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '))
    return { method: 'client_secret_basic', clientId, secret }
  } catch {
    throw new InvalidClient('malformed HTTP Basic credentials', true)
  }
}

function presented(request: FastifyRequest, params: Params): Presented {
  const header = request.headers.authorization
  const bodyId = optional(params, 'client_id')
  const bodySecret = optional(params, 'client_secret')
  if (header && /^basic /i.test(header)) {
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
    const ok = await verifySecret(credentials.secret, client?.secretHash ?? (await dummyHash()))
    if (!client?.secretHash || !ok) throw new InvalidClient('client authentication failed', usedBasic)
  } else if (!client) {
    throw new InvalidClient('client authentication failed', usedBasic)
  }
  if (!client.token_endpoint_auth_methods.includes(credentials.method)) {
    throw new InvalidClient(`this client does not use ${credentials.method} authentication`, usedBasic)
  }
  return client
}
