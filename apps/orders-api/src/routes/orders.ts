import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { IdempotencyKeyInFlightError, IdempotencyKeyReusedError, OrderNotStoredError } from '../errors.js'
import {
  IDEMPOTENCY_KEY_HEADER,
  idempotencyKeyOf,
  MAX_KEY_LENGTH,
  orderFingerprint,
} from '../idempotency/key.js'
import type { InventoryClient } from '../inventory/client.js'
import type { IdempotencyKeyStore } from '../storage/idempotency-keys.js'
import type { Order, OrderStore } from '../storage/orders.js'

const SKU_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'
const tags = ['orders']

const errorBody = {
  type: 'object',
  required: ['error', 'error_description'],
  properties: { error: { type: 'string' }, error_description: { type: 'string' } },
  additionalProperties: true,
} as const

const order = {
  type: 'object',
  required: ['id', 'sku', 'quantity', 'status', 'created_at'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    sku: { type: 'string' },
    quantity: { type: 'integer' },
    status: { type: 'string', enum: ['confirmed'] },
    created_at: { type: 'string', format: 'date-time' },
  },
} as const

const authErrors = { 400: errorBody, 401: errorBody, 403: errorBody, 503: errorBody } as const

export function orderRoutes(
  app: FastifyInstance,
  deps: { store: OrderStore; keys: IdempotencyKeyStore; inventory: InventoryClient },
): void {
  const created = (reply: FastifyReply, placed: Order) =>
    reply.code(201).header('location', `/orders/${placed.id}`).send(placed)

  /**
   * Reserves, then records the order (with its key, in one transaction). When recording fails the reservation is
   * released again (compensation): no stock is held for an order that does not exist.
   */
  async function place(
    request: FastifyRequest<{ Body: { sku: string; quantity: number } }>,
    id: string,
    key?: string,
  ) {
    const { sku, quantity } = request.body
    const userSub = request.auth!.sub
    await deps.inventory.reserve({ sku, quantity, reservationId: id })
    try {
      return await deps.store.insert(
        { id, userSub, clientId: request.auth!.client_id, sku, quantity },
        key === undefined
          ? undefined
          : async (tx) => {
              if (!(await deps.keys.complete(tx, { userSub, key, orderId: id }))) {
                throw new Error('the Idempotency-Key was taken over by a later request')
              }
            },
      )
    } catch (error) {
      request.log.error({ err: error, order: id }, 'order not recorded; releasing its reservation')
      const released = await deps.inventory.release({ sku, reservationId: id }).then(
        () => true,
        (releaseError: unknown) => {
          request.log.error(
            { err: releaseError, reservation: id, sku, quantity },
            'reservation left without an order: releasing it failed',
          )
          return false
        },
      )
      throw new OrderNotStoredError(released, error)
    }
  }

  app.get<{ Querystring: { limit?: number } }>(
    '/orders',
    {
      config: { auth: { scopes: ['orders:read'] } },
      schema: {
        tags,
        summary: "The caller's own orders (by the token's sub), newest first",
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 100, default: 50 } },
        },
        response: {
          200: { type: 'object', properties: { orders: { type: 'array', items: order } } },
          ...authErrors,
        },
      },
    },
    async (request) => ({ orders: await deps.store.listFor(request.auth!.sub, request.query.limit ?? 50) }),
  )

  app.post<{ Body: { sku: string; quantity: number } }>(
    '/orders',
    {
      config: { auth: { scopes: ['orders:write'] } },
      schema: {
        tags,
        summary: 'Place an order: reserves the stock at inventory-api, then records the order',
        description:
          'orders-api reserves with its own client-credentials token. 409 `insufficient_stock` when the stock is ' +
          'short (nothing is reserved), 502/503 when inventory-api or the auth-server cannot serve the ' +
          'reservation, 503 when the order cannot be recorded (its reservation is released). With an ' +
          '`Idempotency-Key` the request is safe to retry: the same key and body answer with the first order ' +
          'again (201, same body) for 24 hours; the same key with another body is 422 ' +
          '`idempotency_key_reused`; while the first request runs, 409 `idempotency_key_in_flight`.',
        headers: {
          type: 'object',
          properties: {
            [IDEMPOTENCY_KEY_HEADER]: {
              type: 'string',
              description:
                `Optional (draft-ietf-httpapi-idempotency-key-header): a quoted string (RFC 8941) of 1-${MAX_KEY_LENGTH} ` +
                'printable ASCII characters, e.g. "8e03978e-40d5-43e8-bc93-6894a57f9324", or the same unquoted ' +
                'when it holds only letters, digits and ._~:+/=-. Scoped to the token subject; remembered 24 hours.',
            },
          },
        },
        body: {
          type: 'object',
          required: ['sku', 'quantity'],
          additionalProperties: false,
          properties: {
            sku: { type: 'string', pattern: SKU_PATTERN },
            quantity: { type: 'integer', minimum: 1, maximum: 1000 },
          },
        },
        response: {
          201: order,
          404: errorBody,
          409: errorBody,
          422: errorBody,
          502: errorBody,
          ...authErrors,
        },
      },
    },
    async (request, reply) => {
      // The order id doubles as the reservation's idempotency key: inventory-api reserves once per id, so the
      // retry after a 401 can never reserve twice, and a reservation can always be traced to its order.
      const id = randomUUID()
      const key = idempotencyKeyOf(request)
      if (key === undefined) {
        const placed = await place(request, id)
        request.log.info({ order: id, sku: placed.sku, quantity: placed.quantity }, 'order placed')
        return created(reply, placed)
      }

      const userSub = request.auth!.sub
      const claim = await deps.keys.claim({
        userSub,
        key,
        fingerprint: orderFingerprint(request.body),
        orderId: id,
      })
      if (claim.status === 'reused') throw new IdempotencyKeyReusedError()
      if (claim.status === 'in_flight') throw new IdempotencyKeyInFlightError()
      if (claim.status === 'completed') {
        const placed = await deps.store.find(userSub, claim.orderId)
        if (!placed) throw new Error(`order ${claim.orderId} of a completed Idempotency-Key is missing`)
        request.log.info({ order: placed.id }, 'order answered again for its Idempotency-Key')
        return created(reply, placed)
      }
      try {
        const placed = await place(request, id, key)
        request.log.info({ order: id, sku: placed.sku, quantity: placed.quantity }, 'order placed')
        return created(reply, placed)
      } catch (error) {
        // Nothing was placed: free the key so that a retry runs again instead of finding it in flight.
        await deps.keys.abandon({ userSub, key, orderId: id }).catch((abandonError: unknown) => {
          request.log.error({ err: abandonError }, 'Idempotency-Key stays in flight until its lease ends')
        })
        throw error
      }
    },
  )
}
