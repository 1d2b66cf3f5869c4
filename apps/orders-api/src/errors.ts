import { ServiceError } from '@stateless-auth/service-kit/errors'

/** The SKU of a new order is not stocked by inventory-api. */
export class UnknownSkuError extends ServiceError {
  constructor(sku: string) {
    super('ORDERS_ERR_UNKNOWN_SKU', 404, 'not_found', `Unknown SKU "${sku}"`)
  }
}

/** inventory-api refused the reservation for lack of stock; no order was placed. */
export class OutOfStockError extends ServiceError {
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
export class UpstreamUnavailableError extends ServiceError {
  constructor(description: string, cause?: unknown, retryAfterSeconds = 5) {
    super('ORDERS_ERR_UPSTREAM_UNAVAILABLE', 503, 'temporarily_unavailable', description, {
      headers: { 'retry-after': String(retryAfterSeconds) },
      cause,
    })
  }
}

/**
 * inventory-api was called but no answer came back (timeout, connection lost after the request was sent): the
 * request may still have been processed, so a reservation may exist that the caller must compensate.
 */
export class UpstreamNoAnswerError extends UpstreamUnavailableError {}

/** A dependency answered something we cannot use (refused our credentials, broke its contract) (RFC 9110 §15.6.3). */
export class BadGatewayError extends ServiceError {
  constructor(description: string, cause?: unknown) {
    super('ORDERS_ERR_BAD_GATEWAY', 502, 'bad_gateway', description, { cause })
  }
}

/** A malformed `Idempotency-Key` header (draft-ietf-httpapi-idempotency-key-header, "Syntax"). */
export class InvalidIdempotencyKeyError extends ServiceError {
  constructor(description: string) {
    super('ORDERS_ERR_IDEMPOTENCY_KEY_INVALID', 400, 'invalid_request', description)
  }
}

/** The key was used for another order body (the draft's "Error Scenarios": 422, RFC 9110 §15.5.21). */
export class IdempotencyKeyReusedError extends ServiceError {
  constructor() {
    super(
      'ORDERS_ERR_IDEMPOTENCY_KEY_REUSED',
      422,
      'idempotency_key_reused',
      'This Idempotency-Key was already used for a different order; send a new key for a new order',
    )
  }
}

/** The first request with this key has not finished (the draft's "Error Scenarios": 409, RFC 9110 §15.5.10). */
export class IdempotencyKeyInFlightError extends ServiceError {
  constructor(retryAfterSeconds = 1) {
    super(
      'ORDERS_ERR_IDEMPOTENCY_KEY_IN_FLIGHT',
      409,
      'idempotency_key_in_flight',
      'A request with this Idempotency-Key is still being processed; retry shortly for its result',
      { headers: { 'retry-after': String(retryAfterSeconds) } },
    )
  }
}

/**
 * The stock was reserved but the order could not be recorded. The reservation is released (compensation), so a
 * retry is safe (RFC 9110 §15.6.4).
 */
export class OrderNotStoredError extends ServiceError {
  constructor(released: boolean, cause: unknown) {
    super(
      'ORDERS_ERR_ORDER_NOT_STORED',
      503,
      'temporarily_unavailable',
      released
        ? 'The order could not be recorded and was not placed; its stock reservation was released'
        : 'The order could not be recorded and was not placed',
      { headers: { 'retry-after': '5' }, cause },
    )
  }
}
