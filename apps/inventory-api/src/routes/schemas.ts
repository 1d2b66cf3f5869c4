/** JSON schemas shared by the routes and the OpenAPI document. */

export const SKU_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'

export const errorBody = {
  type: 'object',
  required: ['error', 'error_description'],
  properties: { error: { type: 'string' }, error_description: { type: 'string' } },
  additionalProperties: true,
} as const

export const item = {
  type: 'object',
  required: ['sku', 'name', 'stock'],
  properties: {
    sku: { type: 'string' },
    name: { type: 'string' },
    stock: { type: 'integer', minimum: 0 },
  },
} as const

export const skuParams = {
  type: 'object',
  required: ['sku'],
  properties: { sku: { type: 'string', pattern: SKU_PATTERN } },
} as const

export const reserveBody = {
  type: 'object',
  required: ['quantity'],
  additionalProperties: false,
  properties: {
    quantity: { type: 'integer', minimum: 1, maximum: 1000 },
    reservation_id: {
      type: 'string',
      pattern: '^[A-Za-z0-9._:-]{1,128}$',
      description: 'Idempotency key: the same id reserves once, however often it is sent.',
    },
  },
} as const

export const releaseBody = {
  type: 'object',
  required: ['reservation_id'],
  additionalProperties: false,
  properties: {
    reservation_id: {
      type: 'string',
      pattern: '^[A-Za-z0-9._:-]{1,128}$',
      description: 'The id the stock was reserved under.',
    },
  },
} as const

export const reservation = {
  type: 'object',
  required: ['reservation_id', 'sku', 'quantity', 'remaining'],
  properties: {
    reservation_id: { type: 'string' },
    sku: { type: 'string' },
    quantity: { type: 'integer' },
    remaining: { type: 'integer', minimum: 0 },
  },
} as const

/** The failures every protected route can answer with. */
export const authErrors = { 400: errorBody, 401: errorBody, 403: errorBody, 503: errorBody } as const
