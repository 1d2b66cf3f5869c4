import { Type } from 'typebox'
import { IDEMPOTENCY_KEY_HEADER, MAX_KEY_LENGTH } from '../idempotency/key.js'

/** TypeBox schemas of the order routes: they validate requests, type the handlers and feed the OpenAPI document. */

const SKU_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'

export const Order = Type.Object({
  id: Type.String({ format: 'uuid' }),
  sku: Type.String(),
  quantity: Type.Integer(),
  status: Type.Literal('confirmed'),
  created_at: Type.String({ format: 'date-time' }),
})

export const OrderList = Type.Object({ orders: Type.Array(Order) })

export const ListQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })) },
  { additionalProperties: false },
)

export const OrderRequest = Type.Object(
  {
    sku: Type.String({ pattern: SKU_PATTERN }),
    quantity: Type.Integer({ minimum: 1, maximum: 1000 }),
  },
  { additionalProperties: false },
)

/** Documents the header only: `idempotency/key.ts` parses it (it must also see a header sent twice). */
export const IdempotencyKeyHeaders = Type.Object({
  [IDEMPOTENCY_KEY_HEADER]: Type.Optional(
    Type.String({
      description:
        `Optional (draft-ietf-httpapi-idempotency-key-header): a quoted string (RFC 8941) of 1-${MAX_KEY_LENGTH} ` +
        'printable ASCII characters, e.g. "8e03978e-40d5-43e8-bc93-6894a57f9324", or the same unquoted ' +
        'when it holds only letters, digits and ._~:+/=-. Scoped to the token subject; remembered 24 hours.',
    }),
  ),
})
