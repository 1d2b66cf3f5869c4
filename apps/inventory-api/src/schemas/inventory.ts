import { Type } from 'typebox'

/** TypeBox schemas of the inventory routes: they validate requests, type the handlers and feed the OpenAPI document. */

const SKU_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'
const RESERVATION_ID_PATTERN = '^[A-Za-z0-9._:-]{1,128}$'

export const Item = Type.Object({
  sku: Type.String(),
  name: Type.String(),
  stock: Type.Integer({ minimum: 0 }),
})

export const ItemList = Type.Object({ items: Type.Array(Item) })

export const SkuParams = Type.Object({ sku: Type.String({ pattern: SKU_PATTERN }) })

export const ReserveBody = Type.Object(
  {
    quantity: Type.Integer({ minimum: 1, maximum: 1000 }),
    reservation_id: Type.Optional(
      Type.String({
        pattern: RESERVATION_ID_PATTERN,
        description: 'Idempotency key: the same id reserves once, however often it is sent.',
      }),
    ),
  },
  { additionalProperties: false },
)

export const ReleaseBody = Type.Object(
  {
    reservation_id: Type.String({
      pattern: RESERVATION_ID_PATTERN,
      description: 'The id the stock was reserved under.',
    }),
  },
  { additionalProperties: false },
)

export const Reservation = Type.Object({
  reservation_id: Type.String(),
  sku: Type.String(),
  quantity: Type.Integer(),
  remaining: Type.Integer({ minimum: 0 }),
})
