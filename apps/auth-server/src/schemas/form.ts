import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'

/**
 * One form parameter as `@fastify/formbody` hands it over: a string, or an array when it was repeated. Schemas
 * accept both and `oauth/params.ts` judges the value, because OAuth answers each fault with its own error (a
 * repeated, over-long or control-character parameter is an `invalid_request` naming it) and in its own order
 * (the client is authenticated before any other parameter is read).
 */
// String first: Fastify's Ajv coerces arrays, and an array branch tried first would turn `a` into `['a']`.
export const param = Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())]))

/**
 * Options of every form schema: unknown parameters are kept, as RFC 6749 §3.1 and §3.2 say the server MUST
 * ignore unrecognised ones rather than refuse them.
 */
export const openForm = { additionalProperties: true } as const

/**
 * preValidation hook: a POST without a body is a form without parameters, so it reaches the OAuth checks (and
 * their errors) like any form missing a parameter instead of failing the schema's `type: object`.
 */
export async function absentFormIsEmpty(request: FastifyRequest): Promise<void> {
  request.body ??= {}
}
