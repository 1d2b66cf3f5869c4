import { Type } from 'typebox'

/**
 * `{ error, error_description }` (the RFC 6749 §5.2 shape every failure answers with), open so that the extra
 * members an error carries (`details` of a 409) are serialized too.
 */
export const ErrorBody = Type.Object(
  { error: Type.String(), error_description: Type.String() },
  { additionalProperties: true },
)

/** The failures every protected route can answer with: bad request, no or bad token, missing scope, no JWKS. */
export const authErrors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 503: ErrorBody }
