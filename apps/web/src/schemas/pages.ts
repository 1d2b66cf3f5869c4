import { Type } from 'typebox'

/** TypeBox schemas of the HTML routes and the sign-in flow's redirects. */

export const PageQuery = Type.Object({
  /** Set by the sign-out redirect, so the page can say what happened. */
  'signed-out': Type.Optional(Type.String()),
  /** Set by the auth-server's redirect back after sign-out (RP-Initiated Logout 1.0 §3, `state`). */
  state: Type.Optional(Type.String({ maxLength: 64 })),
})

/**
 * The authorization response (RFC 6749 §4.1.2, §4.1.2.1) with RFC 9207's `iss`. Each parameter appears once;
 * what it means is checked by the handler and by @fastify/oauth2 (state), in that order.
 */
export const CallbackQuery = Type.Object({
  code: Type.Optional(Type.String({ maxLength: 2048 })),
  state: Type.Optional(Type.String({ maxLength: 2048 })),
  iss: Type.Optional(Type.String({ maxLength: 2048 })),
  error: Type.Optional(Type.String({ maxLength: 256 })),
  error_description: Type.Optional(Type.String({ maxLength: 2048 })),
})

/** The sign-out form posts no fields; any it sends are parsed and ignored. */
export const LogoutBody = Type.Record(Type.String(), Type.String())
