import type { DpopClient } from '@stateless-auth/dpop-client'
import {
  BadGatewayError,
  OutOfStockError,
  UnknownSkuError,
  UpstreamNoAnswerError,
  UpstreamUnavailableError,
} from '../errors.js'
import type { TokenSource } from './token-source.js'

export interface InventoryClient {
  /** Reserves stock once per `reservationId`; throws the orders-api error the caller should see. */
  reserve(input: { sku: string; quantity: number; reservationId: string }): Promise<{ remaining: number }>
  /**
   * Gives a reservation's stock back (inventory-api releases once per id, so retrying is safe); throws the
   * orders-api error describing why it could not.
   */
  release(input: { sku: string; reservationId: string }): Promise<void>
}

/**
 * inventory-api as orders-api sees it: every call carries orders-api's own token; a 401 (token expired or its
 * signing key rotated out) gets one retry with a fresh token, anything else becomes a clear 404/409/502/503.
 * With `dpop` the token is DPoP-bound and every call carries `Authorization: DPoP` and a fresh proof for the URL
 * it calls (`htm`, `htu`, `ath`), retried once with inventory-api's nonce when it asks for one.
 */
export function createInventoryClient(options: {
  baseUrl: string
  tokens: TokenSource
  timeoutMs: number
  fetch?: typeof fetch
  dpop?: DpopClient
}): InventoryClient {
  const doFetch = options.fetch ?? globalThis.fetch

  async function post(path: string, body: unknown, token: string): Promise<Response> {
    const url = `${options.baseUrl}${path}`
    const init = {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs),
    }
    try {
      if (options.dpop) return await options.dpop.fetch(url, { ...init, accessToken: token })
      return await doFetch(url, { ...init, headers: { ...init.headers, authorization: `Bearer ${token}` } })
    } catch (error) {
      // A refused connection never carried the request; anything else (a timeout, a reset) may have.
      if ((error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED')
        throw new UpstreamUnavailableError('inventory-api cannot be reached', error)
      throw new UpstreamNoAnswerError('inventory-api did not answer', error)
    }
  }

  /** A POST with orders-api's token; a 401 gets one retry with a new token. */
  async function postAsOrdersApi(path: string, body: unknown): Promise<Response> {
    let token = await options.tokens.get()
    let response = await post(path, body, token)
    if (response.status === 401) {
      // The reservation id makes this retry safe even if the first attempt had been processed. The refused
      // answer is released first: an unread body holds its connection until garbage collection.
      await response.body?.cancel().catch(() => {})
      options.tokens.invalidate(token)
      token = await options.tokens.get()
      response = await post(path, body, token)
    }
    return response
  }

  return {
    async reserve({ sku, quantity, reservationId }) {
      const response = await postAsOrdersApi(`/inventory/${encodeURIComponent(sku)}/reserve`, {
        quantity,
        reservation_id: reservationId,
      })
      const answer = (await response.json().catch(() => undefined)) as
        | { remaining?: unknown; error?: unknown; available?: unknown }
        | undefined
      if (response.ok && typeof answer?.remaining === 'number') return { remaining: answer.remaining }
      if (response.status === 404) throw new UnknownSkuError(sku)
      if (response.status === 409 && answer?.error === 'insufficient_stock') {
        throw new OutOfStockError(
          sku,
          quantity,
          typeof answer.available === 'number' ? answer.available : undefined,
        )
      }
      if (response.status === 503 || response.status === 429) {
        throw new UpstreamUnavailableError(`inventory-api is unavailable (${response.status})`)
      }
      throw new BadGatewayError(
        `inventory-api answered ${response.status}${typeof answer?.error === 'string' ? ` ${answer.error}` : ''}`,
      )
    },
    async release({ sku, reservationId }) {
      const response = await postAsOrdersApi(`/inventory/${encodeURIComponent(sku)}/release`, {
        reservation_id: reservationId,
      })
      await response.body?.cancel().catch(() => {})
      if (response.ok) return
      if (response.status === 503 || response.status === 429) {
        throw new UpstreamUnavailableError(`inventory-api is unavailable (${response.status})`)
      }
      throw new BadGatewayError(`inventory-api answered ${response.status} to a release`)
    },
  }
}
