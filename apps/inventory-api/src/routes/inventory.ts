import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { authErrors, ErrorBody } from '@stateless-auth/resource-server'
import { claimsOf } from '@stateless-auth/verifier/fastify'
import { UnknownSkuError } from '../errors.js'
import { Item, ItemList, ReleaseBody, Reservation, ReserveBody, SkuParams } from '../schemas/inventory.js'
import type { InventoryStore, Reservation as StoredReservation } from '../storage/inventory.js'

const tags = ['inventory']

const answer = (result: StoredReservation) => ({
  reservation_id: result.id,
  sku: result.sku,
  quantity: result.quantity,
  remaining: result.remaining,
})
const logged = (result: StoredReservation) => ({
  sku: result.sku,
  quantity: result.quantity,
  reservation: result.id,
  replayed: result.replayed,
})

/** Stock levels and reservations; the logic lives in `storage/inventory.ts`. */
const inventoryRoutes: FastifyPluginAsyncTypebox<{ store: InventoryStore }> = async (app, { store }) => {
  app.get(
    '/inventory',
    {
      config: { auth: { scopes: ['inventory:read'] } },
      schema: { tags, summary: 'Stock levels of every SKU', response: { 200: ItemList, ...authErrors } },
    },
    async () => ({ items: await store.list() }),
  )

  app.get(
    '/inventory/:sku',
    {
      config: { auth: { scopes: ['inventory:read'] } },
      schema: {
        tags,
        summary: 'Stock level of one SKU',
        params: SkuParams,
        response: { 200: Item, 404: ErrorBody, ...authErrors },
      },
    },
    async (request) => {
      const found = await store.get(request.params.sku)
      if (!found) throw new UnknownSkuError(request.params.sku)
      return found
    },
  )

  app.post(
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
        params: SkuParams,
        body: ReserveBody,
        response: { 200: Reservation, 201: Reservation, 404: ErrorBody, 409: ErrorBody, ...authErrors },
      },
    },
    async (request, reply) => {
      const result = await store.reserve({
        id: request.body.reservation_id ?? randomUUID(),
        sku: request.params.sku,
        quantity: request.body.quantity,
        clientId: claimsOf(request).client_id,
      })
      request.log.info(logged(result), 'stock reserved')
      return reply.code(result.replayed ? 200 : 201).send(answer(result))
    },
  )

  app.post(
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
        params: SkuParams,
        body: ReleaseBody,
        response: { 200: Reservation, 404: ErrorBody, ...authErrors },
      },
    },
    async (request) => {
      const result = await store.release({
        id: request.body.reservation_id,
        sku: request.params.sku,
        clientId: claimsOf(request).client_id,
      })
      request.log.info(logged(result), 'reservation released')
      return answer(result)
    },
  )
}

export default inventoryRoutes
