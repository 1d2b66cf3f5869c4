import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { UnknownSkuError } from '../errors.js'
import type { InventoryStore } from '../storage/inventory.js'
import { authErrors, errorBody, item, releaseBody, reservation, reserveBody, skuParams } from './schemas.js'

const tags = ['inventory']

export function inventoryRoutes(app: FastifyInstance, store: InventoryStore): void {
  app.get(
    '/inventory',
    {
      config: { auth: { scopes: ['inventory:read'] } },
      schema: {
        tags,
        summary: 'Stock levels of every SKU',
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: item } } },
          ...authErrors,
        },
      },
    },
    async () => ({ items: await store.list() }),
  )

  app.get<{ Params: { sku: string } }>(
    '/inventory/:sku',
    {
      config: { auth: { scopes: ['inventory:read'] } },
      schema: {
        tags,
        summary: 'Stock level of one SKU',
        params: skuParams,
        response: { 200: item, 404: errorBody, ...authErrors },
      },
    },
    async (request) => {
      const found = await store.get(request.params.sku)
      if (!found) throw new UnknownSkuError(request.params.sku)
      return found
    },
  )

  app.post<{ Params: { sku: string }; Body: { quantity: number; reservation_id?: string } }>(
    '/inventory/:sku/reserve',
    {
      config: { auth: { scopes: ['inventory:write'] } },
      schema: {
        tags,
        summary: 'Reserve stock (service-to-service: orders-api with its client-credentials token)',
        description:
          'Takes `quantity` off the stock atomically, or answers 409 without reserving anything. ' +
          'Sending the same `reservation_id` again reserves nothing more and answers 200; once that ' +
          'reservation is released, 409 `reservation_released`.',
        params: skuParams,
        body: reserveBody,
        response: { 200: reservation, 201: reservation, 404: errorBody, 409: errorBody, ...authErrors },
      },
    },
    async (request, reply) => {
      const result = await store.reserve({
        id: request.body.reservation_id ?? randomUUID(),
        sku: request.params.sku,
        quantity: request.body.quantity,
        clientId: request.auth!.client_id,
      })
      request.log.info(
        { sku: result.sku, quantity: result.quantity, reservation: result.id, replayed: result.replayed },
        'stock reserved',
      )
      return reply.code(result.replayed ? 200 : 201).send({
        reservation_id: result.id,
        sku: result.sku,
        quantity: result.quantity,
        remaining: result.remaining,
      })
    },
  )
  app.post<{ Params: { sku: string }; Body: { reservation_id: string } }>(
    '/inventory/:sku/release',
    {
      config: { auth: { scopes: ['inventory:write'] } },
      schema: {
        tags,
        summary:
          'Release a reservation: its stock goes back (orders-api, when it could not record the order)',
        description:
          'Only the client that reserved can release. Idempotent: releasing again gives nothing more back and ' +
          'answers 200 as well. A released `reservation_id` can never reserve again (409 `reservation_released`).',
        params: skuParams,
        body: releaseBody,
        response: { 200: reservation, 404: errorBody, ...authErrors },
      },
    },
    async (request) => {
      const result = await store.release({
        id: request.body.reservation_id,
        sku: request.params.sku,
        clientId: request.auth!.client_id,
      })
      request.log.info(
        { sku: result.sku, quantity: result.quantity, reservation: result.id, replayed: result.replayed },
        'reservation released',
      )
      return {
        reservation_id: result.id,
        sku: result.sku,
        quantity: result.quantity,
        remaining: result.remaining,
      }
    },
  )
}
