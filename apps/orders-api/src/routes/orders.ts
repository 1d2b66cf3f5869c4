import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { authErrors, ErrorBody } from '@stateless-auth/resource-server'
import { claimsOf } from '@stateless-auth/verifier/fastify'
import { idempotencyKeyOf } from '../idempotency/key.js'
import { type OrderDeps, placeOrder } from '../orders/place.js'
import { IdempotencyKeyHeaders, ListQuery, Order, OrderList, OrderRequest } from '../schemas/orders.js'

const tags = ['orders']

/** A user's orders; placing one (reservation, compensation, Idempotency-Key) lives in `orders/place.ts`. */
const orderRoutes: FastifyPluginAsyncTypebox<OrderDeps> = async (app, deps) => {
  app.get(
    '/orders',
    {
      config: { auth: { scopes: ['orders:read'] } },
      schema: {
        tags,
        summary: "The caller's own orders (by the token's sub), newest first",
        querystring: ListQuery,
        response: { 200: OrderList, ...authErrors },
      },
    },
    async (request) => ({
      orders: await deps.store.listFor(claimsOf(request).sub, request.query.limit ?? 50),
    }),
  )

  app.post(
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
        headers: IdempotencyKeyHeaders,
        body: OrderRequest,
        response: {
          201: Order,
          404: ErrorBody,
          409: ErrorBody,
          422: ErrorBody,
          502: ErrorBody,
          ...authErrors,
        },
      },
    },
    async (request, reply) => {
      const key = idempotencyKeyOf(request)
      const { sub, client_id } = claimsOf(request)
      const placed = await placeOrder(deps, {
        ...request.body,
        userSub: sub,
        clientId: client_id,
        key,
        log: request.log,
      })
      return reply.code(201).header('location', `/orders/${placed.id}`).send(placed)
    },
  )
}

export default orderRoutes
