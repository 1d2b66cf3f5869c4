import { ServiceError } from '@stateless-auth/service-kit/errors'

/** `GET /inventory/:sku` or a reservation for a SKU that is not stocked. */
export class UnknownSkuError extends ServiceError {
  constructor(sku: string) {
    super('INVENTORY_ERR_UNKNOWN_SKU', 404, 'not_found', `Unknown SKU "${sku}"`)
  }
}

/** A reservation larger than the stock left: nothing was reserved. */
export class InsufficientStockError extends ServiceError {
  constructor(sku: string, requested: number, available: number) {
    super(
      'INVENTORY_ERR_INSUFFICIENT_STOCK',
      409,
      'insufficient_stock',
      `Only ${available} of "${sku}" left, ${requested} requested`,
      { details: { sku, requested, available } },
    )
  }
}

/** A reservation id reused for a different SKU or quantity: an idempotency key must mean one request. */
export class ReservationConflictError extends ServiceError {
  constructor(id: string) {
    super(
      'INVENTORY_ERR_RESERVATION_CONFLICT',
      409,
      'reservation_conflict',
      `Reservation "${id}" already exists for a different SKU or quantity`,
    )
  }
}

/** A release names no reservation of this client for this SKU. */
export class UnknownReservationError extends ServiceError {
  constructor(id: string, sku: string) {
    super(
      'INVENTORY_ERR_UNKNOWN_RESERVATION',
      404,
      'not_found',
      `No reservation "${id}" of "${sku}" by this client`,
    )
  }
}

/**
 * A reservation id sent again after it was released: its stock went back, and reserving under the same id again
 * would make a late retry of the first request take stock nobody will order.
 */
export class ReservationReleasedError extends ServiceError {
  constructor(id: string) {
    super(
      'INVENTORY_ERR_RESERVATION_RELEASED',
      409,
      'reservation_released',
      `Reservation "${id}" was released; reserve under a new id`,
    )
  }
}
