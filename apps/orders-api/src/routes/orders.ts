import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { InventoryClient } from '../inventory/client.js'
import type { OrderStore } from '../storage/orders.js'

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
  deps: { store: OrderStore; inventory: InventoryClient },
): void {
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
          'orders-api reserves with its own client-credentials token. 409 when the stock is short (nothing is ' +
          'reserved), 502/503 when inventory-api or the auth-server cannot serve the reservation.',
        body: {
          type: 'object',
          required: ['sku', 'quantity'],
          additionalProperties: false,
          properties: {
            sku: { type: 'string', pattern: SKU_PATTERN },
            quantity: { type: 'integer', minimum: 1, maximum: 1000 },
          },
        },
        response: { 201: order, 404: errorBody, 409: errorBody, 502: errorBody, ...authErrors },
      },
    },
    async (request, reply) => {
      // The order id doubles as the reservation's idempotency key: inventory-api reserves once per id, so the
      // retry after a 401 can never reserve twice, and a reservation can always be traced to its order.
      const id = randomUUID()
      const { sku, quantity } = request.body
      await deps.inventory.reserve({ sku, quantity, reservationId: id })
      const placed = await deps.store.insert({
        id,
        userSub: request.auth!.sub,
        clientId: request.auth!.client_id,
        sku,
        quantity,
      })
      request.log.info({ order: id, sku, quantity }, 'order placed')
      return reply.code(201).header('location', `/orders/${id}`).send(placed)
    },
  )
}
