import type { DpopKey } from './key.js'

/** Options of one {@link DpopClient.fetch} call: a `fetch` init plus the access token, if any. */
export interface DpopFetchInit extends Omit<RequestInit, 'body'> {
  /** Sent as `Authorization: DPoP <token>` with `ath` in the proof; leave out at the token endpoint. */
  accessToken?: string
  /** Resent as is on a nonce retry, so no streams. */
  body?: string | URLSearchParams
  /**
   * The URL the server knows itself by, for the proof's `htu`, when the request goes to another address of the
   * same server (a container's internal name for a public issuer). Default: the URL fetched.
   */
  htu?: string | URL
}

// RFC 9449 §8 (token endpoint: 400 `use_dpop_nonce`) and §9 (resource: 401 with the error on the DPoP challenge).
async function asksForNonce(response: Response): Promise<boolean> {
  if (response.status === 401)
    return /error="use_dpop_nonce"/.test(response.headers.get('www-authenticate') ?? '')
  if (response.status !== 400) return false
  const body = (await response
    .clone()
    .json()
    .catch(() => undefined)) as { error?: unknown } | undefined
  return body?.error === 'use_dpop_nonce'
}

/**
 * Requests with DPoP proofs from one key: a fresh proof per request, the last `DPoP-Nonce` each server sent
 * remembered per origin, and one retry when a server answers `use_dpop_nonce` (RFC 9449 §8, §9).
 *
 * @example
 * ```ts
 * const client = new DpopClient(DpopKey.generate())
 * const res = await client.fetch('https://api.example/orders', { accessToken })
 * ```
 */
export class DpopClient {
  readonly key: DpopKey
  readonly #fetch: typeof fetch
  readonly #nonces = new Map<string, string>()

  constructor(key: DpopKey, fetchImpl: typeof fetch = globalThis.fetch) {
    this.key = key
    this.#fetch = fetchImpl
  }

  async fetch(url: string | URL, init: DpopFetchInit = {}): Promise<Response> {
    const { accessToken, htu, ...rest } = init
    const method = rest.method ?? 'GET'
    const origin = new URL(url).origin
    const send = () => {
      const headers = new Headers(rest.headers)
      const nonce = this.#nonces.get(origin)
      headers.set(
        'dpop',
        this.key.proof({
          method,
          url: htu ?? url,
          ...(accessToken !== undefined ? { accessToken } : {}),
          ...(nonce !== undefined ? { nonce } : {}),
        }),
      )
      if (accessToken !== undefined) headers.set('authorization', `DPoP ${accessToken}`)
      return this.#fetch(url, { ...rest, method, headers })
    }
    const remember = (response: Response) => {
      const nonce = response.headers.get('dpop-nonce')
      if (nonce) this.#nonces.set(origin, nonce)
    }
    const before = this.#nonces.get(origin)
    let response = await send()
    remember(response)
    if (this.#nonces.get(origin) !== before && (await asksForNonce(response))) {
      await response.body?.cancel().catch(() => {})
      response = await send()
      remember(response)
    }
    return response
  }
}
