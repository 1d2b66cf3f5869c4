import { ResourceServerError } from '@stateless-auth/resource-server'

/** The SKU of a new order is not stocked by inventory-api. */
export class UnknownSkuError extends ResourceServerError {
  constructor(sku: string) {
    super('ORDERS_ERR_UNKNOWN_SKU', 404, 'not_found', `Unknown SKU "${sku}"`)
  }
}

/** inventory-api refused the reservation for lack of stock; no order was placed. */
export class OutOfStockError extends ResourceServerError {
  constructor(sku: string, requested: number, available: number | undefined) {
    super(
      'ORDERS_ERR_OUT_OF_STOCK',
      409,
      'insufficient_stock',
      available === undefined
        ? `Not enough "${sku}" in stock for ${requested}`
        : `Only ${available} of "${sku}" left, ${requested} requested`,
      { details: available === undefined ? { sku, requested } : { sku, requested, available } },
    )
  }
}

/**
 * A dependency (inventory-api, or the auth-server for orders-api's own token) cannot be reached or is
 * overloaded: retrying later may work (RFC 9110 §15.6.4).
 */
export class UpstreamUnavailableError extends ResourceServerError {
  constructor(description: string, cause?: unknown, retryAfterSeconds = 5) {
    super('ORDERS_ERR_UPSTREAM_UNAVAILABLE', 503, 'temporarily_unavailable', description, {
      headers: { 'retry-after': String(retryAfterSeconds) },
      cause,
    })
  }
}

/** A dependency answered something we cannot use (refused our credentials, broke its contract) (RFC 9110 §15.6.3). */
export class BadGatewayError extends ResourceServerError {
  constructor(description: string, cause?: unknown) {
    super('ORDERS_ERR_BAD_GATEWAY', 502, 'bad_gateway', description, { cause })
  }
}
