import type { DpopClient } from '@stateless-auth/dpop-client'
import { BadGatewayError, UpstreamUnavailableError } from '../errors.js'

export interface TokenSourceOptions {
  issuer: string
  /** Where RFC 8414 metadata is read when `tokenEndpoint` is not given. */
  metadataUri: string
  tokenEndpoint: string | undefined
  clientId: string
  clientSecret: string
  /** RFC 8707 resource indicator: the API the token is for. */
  resource: string
  scope: string
  timeoutMs: number
  /** Seconds before `exp` at which a cached token is replaced (at most half its life). Default 30. */
  refreshMarginSeconds?: number
  fetch?: typeof fetch
  now?: () => number
  /**
   * Ask for a DPoP-bound token (RFC 9449 §5): the token request carries a proof from this client's key (with one
   * retry when the auth-server asks for a nonce), and only a `token_type: DPoP` answer is accepted.
   */
  dpop?: DpopClient
}

export interface TokenSource {
  /** A valid access token for `resource`, from cache while it has more than the margin left. */
  get(): Promise<string>
  /** Forgets `token` (e.g. the API answered 401), so the next `get()` fetches a new one. */
  invalidate(token: string): void
  /** How many tokens were requested from the token endpoint. */
  readonly fetches: number
}

interface CachedToken {
  value: string
  /** When to stop handing it out: `margin` before expiry, or half-way through a life shorter than twice that. */
  refreshAt: number
}

// RFC 6749 §2.3.1: client id and secret are form-urlencoded before being joined for HTTP Basic.
function basicAuth(id: string, secret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+')
  return `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}`
}

/**
 * orders-api's own access token for inventory-api (client credentials, RFC 6749 §4.4): fetched on first use,
 * cached until shortly before it expires, refreshed by one request however many callers wait for it.
 */
export function createTokenSource(options: TokenSourceOptions): TokenSource {
  const doFetch = options.fetch ?? globalThis.fetch
  const now = options.now ?? Date.now
  const margin = (options.refreshMarginSeconds ?? 30) * 1000
  let endpoint = options.tokenEndpoint
  let cached: CachedToken | undefined
  let pending: Promise<CachedToken> | undefined
  let fetches = 0

  async function request(url: string, init: RequestInit & { body?: string }): Promise<Response> {
    const signal = AbortSignal.timeout(options.timeoutMs)
    try {
      if (options.dpop && init.method === 'POST') {
        // The auth-server checks `htu` against its public URL: the issuer plus the endpoint's path, even when
        // TOKEN_ENDPOINT is an internal address (containers).
        const htu = `${options.issuer}${new URL(url).pathname}`
        return await options.dpop.fetch(url, { ...init, signal, htu })
      }
      return await doFetch(url, { ...init, signal })
    } catch (error) {
      throw new UpstreamUnavailableError(
        'The authorization server cannot be reached for a service token',
        error,
      )
    }
  }

  async function tokenEndpoint(): Promise<string> {
    if (endpoint) return endpoint
    const response = await request(options.metadataUri, { headers: { accept: 'application/json' } })
    if (!response.ok) {
      throw new UpstreamUnavailableError(`The authorization server metadata answered ${response.status}`)
    }
    const metadata = (await response.json().catch(() => undefined)) as
      | { issuer?: unknown; token_endpoint?: unknown }
      | undefined
    // RFC 8414 §3.3: metadata whose issuer differs from the one we trust must not be used.
    if (metadata?.issuer !== options.issuer || typeof metadata.token_endpoint !== 'string') {
      throw new BadGatewayError('The authorization server metadata does not match the configured issuer')
    }
    endpoint = metadata.token_endpoint
    return endpoint
  }

  async function fetchToken(): Promise<CachedToken> {
    const url = await tokenEndpoint()
    fetches++
    const response = await request(url, {
      method: 'POST',
      headers: {
        authorization: basicAuth(options.clientId, options.clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        scope: options.scope,
        resource: options.resource,
      }).toString(),
    })
    const body = (await response.json().catch(() => undefined)) as
      | { access_token?: unknown; token_type?: unknown; expires_in?: unknown; error?: unknown }
      | undefined
    if (response.status >= 500 || response.status === 429) {
      throw new UpstreamUnavailableError(`The token endpoint answered ${response.status}`)
    }
    if (!response.ok) {
      // RFC 6749 §5.2: our own credentials or request were refused; a retry will not help.
      throw new BadGatewayError(
        `The token endpoint refused orders-api's client credentials (${String(body?.error)})`,
      )
    }
    const expected = options.dpop ? 'dpop' : 'bearer'
    if (
      typeof body?.access_token !== 'string' ||
      typeof body.token_type !== 'string' ||
      body.token_type.toLowerCase() !== expected
    ) {
      throw new BadGatewayError(
        `The token endpoint answered without a ${options.dpop ? 'DPoP-bound' : 'bearer'} access token`,
      )
    }
    // RFC 6749 §5.1: expires_in is recommended, not required; without it, assume a short life.
    const lifetimeMs =
      (typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60) * 1000
    // A fixed margin longer than the token's life (10-second demo tokens, 30 s margin) would never reuse it.
    return { value: body.access_token, refreshAt: now() + lifetimeMs - Math.min(margin, lifetimeMs / 2) }
  }

  return {
    async get() {
      if (cached && now() < cached.refreshAt) return cached.value
      if (!pending) {
        pending = fetchToken()
          .then((token) => {
            cached = token
            return token
          })
          .finally(() => {
            pending = undefined
          })
      }
      return (await pending).value
    },
    invalidate(token) {
      if (cached?.value === token) cached = undefined
    },
    get fetches() {
      return fetches
    },
  }
}
