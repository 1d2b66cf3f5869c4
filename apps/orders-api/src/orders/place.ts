import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyBaseLogger } from 'fastify'
import {
  IdempotencyKeyInFlightError,
  IdempotencyKeyReusedError,
  OrderNotStoredError,
  UpstreamNoAnswerError,
} from '../errors.js'
import { orderFingerprint } from '../idempotency/key.js'
import type { InventoryClient } from '../inventory/client.js'
import type { IdempotencyKeyStore } from '../storage/idempotency-keys.js'
import type { Order, OrderStore } from '../storage/orders.js'

export interface OrderDeps {
  store: OrderStore
  keys: IdempotencyKeyStore
  inventory: InventoryClient
}

export interface PlaceOrder {
  userSub: string
  clientId: string
  sku: string
  quantity: number
  /** The request's Idempotency-Key, already parsed; undefined when none was sent. */
  key: string | undefined
  log: FastifyBaseLogger
}

/**
 * Places an order, or answers the one an Idempotency-Key already placed. The order id doubles as the
 * reservation's idempotency key: inventory-api reserves once per id, so the retry after a 401 can never reserve
 * twice, and a reservation can always be traced to its order.
 */
export async function placeOrder(deps: OrderDeps, order: PlaceOrder): Promise<Order> {
  const id = randomUUID()
  const { userSub, key, log } = order
  if (key === undefined) {
    const placed = await reserveAndRecord(deps, order, id)
    log.info({ order: id, sku: placed.sku, quantity: placed.quantity }, 'order placed')
    return placed
  }

  const claim = await deps.keys.claim({
    userSub,
    key,
    fingerprint: orderFingerprint(order),
    orderId: id,
  })
  if (claim.status === 'reused') throw new IdempotencyKeyReusedError()
  if (claim.status === 'in_flight') throw new IdempotencyKeyInFlightError()
  if (claim.status === 'completed') {
    const placed = await deps.store.find(userSub, claim.orderId)
    if (!placed) throw new Error(`order ${claim.orderId} of a completed Idempotency-Key is missing`)
    log.info({ order: placed.id }, 'order answered again for its Idempotency-Key')
    return placed
  }
  try {
    const placed = await reserveAndRecord(deps, order, id, key)
    log.info({ order: id, sku: placed.sku, quantity: placed.quantity }, 'order placed')
    return placed
  } catch (error) {
    // Nothing was placed: free the key so that a retry runs again instead of finding it in flight.
    await deps.keys.abandon({ userSub, key, orderId: id }).catch((abandonError: unknown) => {
      log.error({ err: abandonError }, 'Idempotency-Key stays in flight until its lease ends')
    })
    throw error
  }
}

/**
 * Reserves, then records the order (with its key, in one transaction). When recording fails the reservation is
 * released again (compensation): no stock is held for an order that does not exist.
 */
async function reserveAndRecord(deps: OrderDeps, order: PlaceOrder, id: string, key?: string) {
  const { sku, quantity, userSub, clientId, log } = order
  try {
    await deps.inventory.reserve({ sku, quantity, reservationId: id })
  } catch (error) {
    // No answer: the reservation may land at inventory-api after we gave up (a slow network delivers it late).
    // The caller gets its 503 now; the reservation is released in the background.
    if (error instanceof UpstreamNoAnswerError) void releaseLater(deps, { sku, reservationId: id }, log)
    throw error
  }
  try {
    return await deps.store.insert(
      { id, userSub, clientId, sku, quantity },
      key === undefined
        ? undefined
        : async (tx) => {
            if (!(await deps.keys.complete(tx, { userSub, key, orderId: id }))) {
              throw new Error('the Idempotency-Key was taken over by a later request')
            }
          },
    )
  } catch (error) {
    log.error({ err: error, order: id }, 'order not recorded; releasing its reservation')
    const released = await deps.inventory.release({ sku, reservationId: id }).then(
      () => true,
      (releaseError: unknown) => {
        log.error(
          { err: releaseError, reservation: id, sku, quantity },
          'reservation left without an order: releasing it failed',
        )
        return false
      },
    )
    throw new OrderNotStoredError(released, error)
  }
}

/** Seconds between the attempts to release a reservation whose outcome is unknown. */
const RELEASE_RETRY_DELAYS = [0, 1, 2, 4, 8, 16]

/**
 * Releases a reservation that may or may not exist (issue 15, scenario 5): inventory-api releases once per id,
 * so repeating is safe; a release that finds no reservation yet (404) or gets no answer is tried again later, as
 * the reservation itself may still be on its way. Gives up after the last delay, with an error in the log.
 */
async function releaseLater(
  deps: OrderDeps,
  reservation: { sku: string; reservationId: string },
  log: FastifyBaseLogger,
): Promise<void> {
  let lastError: unknown
  for (const seconds of RELEASE_RETRY_DELAYS) {
    // Unreferenced: a pending retry never holds the process open at shutdown.
    if (seconds > 0) await sleep(seconds * 1000, undefined, { ref: false })
    try {
      await deps.inventory.release(reservation)
      log.info({ reservation: reservation.reservationId }, 'reservation of an unanswered order released')
      return
    } catch (error) {
      lastError = error
    }
  }
  log.error(
    { err: lastError, reservation: reservation.reservationId, sku: reservation.sku },
    'reservation of an unanswered order may be left without an order: releasing it failed',
  )
}
